"""Photos and comparisons through the API: a real upload analysed by the worker, a comparison and its PDF report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records.models import Comparison, Photo, TreatmentSession
from tests.api.conftest import BASE, error_of


def upload(client: Any, patient: Any, *files: tuple[str, bytes], **tags: Any) -> Any:
    data = {"photos": [SimpleUploadedFile(name, content, "image/jpeg") for name, content in files], **tags}
    return client.post(f"{BASE}/patients/{patient.pk}/photos", data)


def stored(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def test_an_upload_is_analysed_by_the_worker_and_its_result_read(api_alice, patient, face_pair, committed, run_worker):
    with committed():
        response = upload(api_alice, patient, ("before.jpg", face_pair[0]), view="front")

    assert response.status_code == 201, response.content
    saved = response.json()["saved"]
    assert response.json()["refused"] == [] and saved[0]["status"] == "queued" and saved[0]["name"] == "before.jpg"
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_type="photo", username="alice").count() == 1

    run_worker()

    photo = api_alice.get(f"{BASE}/photos/{saved[0]['id']}").json()
    assert photo["status"] == "done" and photo["quality"] in ("ok", "warn")
    assert photo["analysis"]["schema"] == "dermadelta.analyze/1" and "redness" in photo["analysis"]["zones"]["face"]
    listing = api_alice.get(f"{BASE}/patients/{patient.pk}/photos").json()
    assert listing["count"] == 1 and "analysis" not in listing["items"][0]


def test_a_comparison_is_measured_and_its_report_downloaded(api_alice, patient, face_pair, committed, run_worker):
    with committed():
        first = upload(api_alice, patient, ("before.jpg", face_pair[0])).json()["saved"][0]["id"]
    # Noon on the clinic's calendar 60 days ago: 60 x 24 h before now can be 59 calendar days across a clock change.
    sixty_days_ago = timezone.make_aware(dt.datetime.combine(timezone.localdate() - dt.timedelta(days=60), dt.time(12)))
    Photo.objects.filter(pk=first).update(uploaded_at=sixty_days_ago)
    with committed():
        second = upload(api_alice, patient, ("after.jpg", face_pair[1])).json()["saved"][0]["id"]
    run_worker()
    Comparison.objects.all().delete()  # the worker's automatic comparison with the baseline: ask for it here

    with committed():
        asked = api_alice.post(
            f"{BASE}/patients/{patient.pk}/comparisons",
            {"before_id": second, "after_id": first},  # in any order: "before" is the earlier photo
            content_type="application/json",
        )
    assert asked.status_code == 201, asked.content
    comparison_id = asked.json()["id"]
    assert (asked.json()["before_id"], asked.json()["after_id"]) == (first, second)
    error = error_of(api_alice.get(f"{BASE}/comparisons/{comparison_id}/report.pdf"), 409, "conflict")
    assert "not ready" in error["message"]

    run_worker()

    result = api_alice.get(f"{BASE}/comparisons/{comparison_id}").json()
    assert result["status"] == "done" and result["has_report"] and result["days_between"] == 60
    assert result["result"]["schema"] == "dermadelta.compare/1"
    report = api_alice.get(f"{BASE}/comparisons/{comparison_id}/report.pdf")
    assert report.status_code == 200 and report["Content-Type"] == "application/pdf"
    assert report.content.startswith(b"%PDF-")
    entry = AuditEntry.objects.latest("id")
    assert (entry.action, entry.detail, entry.username) == (AuditAction.DOWNLOAD, "report.pdf", "alice")
    listing = api_alice.get(f"{BASE}/patients/{patient.pk}/comparisons").json()
    assert listing["count"] == 1 and listing["items"][0]["id"] == comparison_id


def test_it_saves_the_good_files_and_says_why_each_other_one_was_refused(api_alice, patient, face_pair):
    response = upload(api_alice, patient, ("good.jpg", face_pair[0]), ("notes.txt", b"just some text"))

    assert response.status_code == 201
    assert len(response.json()["saved"]) == 1 and len(response.json()["refused"]) == 1
    assert "notes.txt" in response.json()["refused"][0]


def test_a_file_that_broke_the_decoder_is_refused_by_name_and_the_good_one_kept(
    api_alice, patient, face_pair, private_media
):
    from tools.decode_fuzz import regression_inputs

    broken = regression_inputs()
    response = upload(
        api_alice,
        patient,
        ("palette.png", broken["png-palette-without-plte"]),
        ("good.jpg", face_pair[0]),
        ("strips.tif", broken["tiff-rational-strip-offsets"]),
    )

    # The missing palette shows in the header; the strips only when the worker decodes the file.
    assert response.status_code == 201
    assert [saved["name"] for saved in response.json()["saved"]] == ["good.jpg", "strips.tif"]
    assert response.json()["refused"] == ["palette.png: a palette image without its colour palette"]
    assert len(stored(private_media)) == 2  # the two originals, waiting for the worker


def test_a_photo_links_to_one_of_the_patients_own_sessions_only(api_alice, patient, quinn, face_pair, private_media):
    own = TreatmentSession.objects.create(patient=patient, number=1, on=dt.date.today(), depths={"forehead": 0.5})
    other = TreatmentSession.objects.create(patient=quinn, number=1, on=dt.date.today(), depths={"forehead": 0.5})

    error_of(upload(api_alice, patient, ("a.jpg", face_pair[0]), session_id=other.pk), 404, "not_found")
    assert stored(private_media) == [] and not Photo.objects.exists()

    response = upload(api_alice, patient, ("a.jpg", face_pair[0]), session_id=own.pk, view="left")
    assert response.status_code == 201
    assert Photo.objects.get().session == own and Photo.objects.get().view == "left"


def test_a_comparison_needs_two_of_the_patients_own_photos_of_one_view(api_alice, patient, quinn, face_pair):
    ids = [
        p["id"] for p in upload(api_alice, patient, ("a.jpg", face_pair[0]), ("b.jpg", face_pair[1])).json()["saved"]
    ]
    quinns = upload(api_alice, quinn, ("q.jpg", face_pair[0]))  # quinn has no photography consent
    error_of(quinns, 400, "validation")
    Photo.objects.filter(pk=ids[1]).update(view="left")

    def ask(before: int, after: int) -> Any:
        body = {"before_id": before, "after_id": after}
        return api_alice.post(f"{BASE}/patients/{patient.pk}/comparisons", body, content_type="application/json")

    assert "same view" in error_of(ask(ids[0], ids[1]), 400, "validation")["message"]
    assert "two different" in error_of(ask(ids[0], ids[0]), 400, "validation")["message"]
    error_of(ask(ids[0], ids[1] + 1000), 404, "not_found")
    assert not Comparison.objects.exists()


def test_only_a_failed_analysis_can_be_retried(api_alice, patient, face_pair):
    photo_id = upload(api_alice, patient, ("a.jpg", face_pair[0])).json()["saved"][0]["id"]

    error = error_of(api_alice.post(f"{BASE}/photos/{photo_id}/retry"), 400, "validation")
    assert "failed" in error["message"]

    Photo.objects.filter(pk=photo_id).update(status="failed", failure="the file went missing")
    response = api_alice.post(f"{BASE}/photos/{photo_id}/retry")
    assert response.status_code == 200 and response.json()["status"] == "queued"
    assert AuditEntry.objects.latest("id").action == AuditAction.RETRY


def test_a_comparison_keeps_the_reason_a_metric_was_not_measurable_and_its_code(api_alice, patient):
    photos = [
        Photo.objects.create(patient=patient, sha256=name * 64, width=40, height=50, original=f"{name}.jpg")
        for name in "ab"
    ]
    reason = "the after photo is too soft to compare fine detail: it resolves 0.6 mm where this needs 0.3 mm"
    texture = {"before": None, "after": None, "delta": None, "mdc": 0.09, "change": "not_measurable", "reason": reason}
    comparison = Comparison.objects.create(
        patient=patient,
        before=photos[0],
        after=photos[1],
        status="done",
        result={"schema": "dermadelta.compare/1", "zones": {"face": {"texture": texture}}},
    )

    body = api_alice.get(f"{BASE}/comparisons/{comparison.pk}").json()

    assert body["result"]["zones"]["face"]["texture"] == texture  # the code for machines, the words for people
