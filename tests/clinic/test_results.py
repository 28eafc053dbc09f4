"""Results: asking for a comparison, the before/after viewer, its images, the PDF report and the course chart."""

from __future__ import annotations

import copy
import datetime as dt
import re
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.choices import ConsentKind, JobStatus, QualityVerdict, View
from dermadelta.clinic.records.models import Comparison, Consent, Patient, Photo, TreatmentPlan
from dermadelta.clinic.records.visuals import SIMULATED_NOTICE, store_visuals
from dermadelta.protocol.plan import make_plan, parse_targets
from dermadelta.reports.comparison_report import DETECTABLE_CHANGE_MEANING
from tests.clinic.progress_records import stand_in_photo

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The measured simulated pair and what the worker stored for it, computed once for the whole file.
_CACHE: dict[str, Any] = {}


def _row(patient: Patient, name: str, *, day: dt.date | None = None, **fields: Any) -> Photo:
    """A photo row with small stand-in files (for pages that do not decode it)."""
    return stand_in_photo(patient, name, day, **fields)


def _measured(face_pair: tuple[bytes, bytes]) -> Any:
    if "measured" not in _CACHE:
        from dermadelta.imaging.decode import decode
        from dermadelta.imaging.pipeline import compare

        _CACHE["measured"] = compare(decode(face_pair[0], name="before"), decode(face_pair[1], name="after"))
    return _CACHE["measured"]


def _done_comparison(patient: Patient, by: Any, face_pair: tuple[bytes, bytes]) -> Comparison:
    """A comparison of the simulated pair as the worker leaves it: result, aligned photos, change maps, PDF."""
    outcome = actions.upload_photos(
        patient, [("before.jpg", face_pair[0]), ("after.jpg", face_pair[1])], view=View.FRONT, session=None, by=by
    )
    before, after = outcome.saved
    today = timezone.localdate()
    for photo, day in ((before, today - dt.timedelta(days=90)), (after, today)):
        Photo.objects.filter(pk=photo.pk).update(
            status=JobStatus.DONE,
            quality=QualityVerdict.OK,
            analysis={"quality": {"verdict": "ok", "reasons": [], "warnings": []}},
            taken_at=dt.datetime.combine(day, dt.time(10), tzinfo=dt.UTC),
        )
    comparison = Comparison.objects.create(patient=patient, before=before, after=after, created_by=by)
    if "stored" not in _CACHE:
        measured = _measured(face_pair)
        visuals = store_visuals(comparison, measured)
        files = {name: default_storage.open(path).read() for name, path in visuals["files"].items()}
        pdf = comparison.report_pdf.open("rb").read()
        _CACHE["stored"] = (visuals["heatmaps"], files, pdf, measured.to_dict())
    else:
        heatmaps, files, pdf, _ = _CACHE["stored"]
        folder = f"clinic-{patient.clinic_id}/patient-{patient.pk}/comparison-{comparison.pk}"
        paths = {name: default_storage.save(f"{folder}/{name}.jpg", ContentFile(data)) for name, data in files.items()}
        comparison.report_pdf.name = default_storage.save(f"{folder}/report.pdf", ContentFile(pdf))
        visuals = {"files": paths, "heatmaps": heatmaps}
    Comparison.objects.filter(pk=comparison.pk).update(
        visuals=visuals,
        result=_CACHE["stored"][3],
        report_pdf=comparison.report_pdf.name,
        status=JobStatus.DONE,
        finished_at=timezone.now(),
    )
    comparison.refresh_from_db()
    return comparison


@pytest.fixture
def done(patient: Patient, alice: Any, face_pair: tuple[bytes, bytes]) -> Comparison:
    return _done_comparison(patient, alice, face_pair)


@pytest.fixture
def pair(patient: Patient) -> tuple[Photo, Photo]:
    today = timezone.localdate()
    return _row(patient, "a", day=today - dt.timedelta(days=60)), _row(patient, "b", day=today)


# --- asking for a comparison ----------------------------------------------------------------------


def test_it_compares_two_photos_of_the_patient_in_the_background(as_alice, alice, patient, pair, committed):
    from django_tasks_db.models import DBTaskResult

    with committed():
        response = as_alice.post(
            reverse("comparison_new", args=[patient.pk]), {"before": pair[0].pk, "after": pair[1].pk}
        )

    comparison = Comparison.objects.get(patient=patient)
    assert response.status_code == 302 and response["Location"] == reverse("comparison", args=[comparison.pk])
    assert (comparison.before, comparison.after, comparison.created_by) == (pair[0], pair[1], alice)
    assert comparison.status == JobStatus.QUEUED
    assert DBTaskResult.objects.filter(args_kwargs__args=[comparison.pk]).exists()
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_type="comparison").count() == 1


def test_the_earlier_photo_is_the_before_whatever_the_order_chosen(as_bob, patient, pair):
    as_bob.post(reverse("comparison_new", args=[patient.pk]), {"before": pair[1].pk, "after": pair[0].pk})

    comparison = Comparison.objects.get(patient=patient)
    assert (comparison.before, comparison.after) == pair


def test_asking_again_for_the_same_pair_reuses_the_comparison(as_alice, patient, pair):
    url = reverse("comparison_new", args=[patient.pk])
    first = as_alice.post(url, {"before": pair[0].pk, "after": pair[1].pk})
    again = as_alice.post(url, {"before": pair[0].pk, "after": pair[1].pk})

    assert first["Location"] == again["Location"]
    assert Comparison.objects.count() == 1


def test_the_form_offers_the_patients_photos(as_alice, patient, pair, quinn):
    other = _row(quinn, "q")

    page = as_alice.get(reverse("comparison_new", args=[patient.pk])).content.decode()

    assert f'<option value="{pair[0].pk}"' in page and f'<option value="{pair[1].pk}"' in page
    assert f'<option value="{other.pk}"' not in page
    assert ">Compare</button>" in page


@pytest.mark.parametrize("bad", ["other_patient", "other_clinic", "missing", "huge", "not_a_number", "empty"])
def test_it_refuses_a_photo_that_is_not_the_patients(as_alice, patient, pair, quinn, harbour, bad):
    stranger = Patient.objects.create(
        clinic=harbour, first_name="Sam", last_name="Sea", date_of_birth=dt.date(1990, 1, 1)
    )
    ids = {
        "other_patient": _row(quinn, "q").pk,
        "other_clinic": _row(stranger, "s").pk,
        "missing": 999_999,
        "huge": "99999999999999999999",
        "not_a_number": "1; DROP TABLE photo",
        "empty": "",
    }
    entries = AuditEntry.objects.exclude(action=AuditAction.VIEW).count()

    response = as_alice.post(reverse("comparison_new", args=[patient.pk]), {"before": pair[0].pk, "after": ids[bad]})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode() or "This field is required" in response.content.decode()
    assert not Comparison.objects.exists()
    assert AuditEntry.objects.exclude(action=AuditAction.VIEW).count() == entries


def test_it_refuses_the_same_photo_twice(as_alice, patient, pair):
    response = as_alice.post(reverse("comparison_new", args=[patient.pk]), {"before": pair[0].pk, "after": pair[0].pk})

    assert response.status_code == 400 and "Choose two different photos." in response.content.decode()
    assert not Comparison.objects.exists()


def test_it_refuses_photos_of_different_views(as_alice, patient, pair):
    side = _row(patient, "c", view=View.LEFT)

    response = as_alice.post(reverse("comparison_new", args=[patient.pk]), {"before": pair[0].pk, "after": side.pk})

    assert response.status_code == 400 and "Compare photos of the same view" in response.content.decode()
    assert not Comparison.objects.exists()


def test_asking_for_a_comparison_is_for_the_clinics_staff(as_charlie, as_pat, client, patient, pair):
    url = reverse("comparison_new", args=[patient.pk])
    data = {"before": pair[0].pk, "after": pair[1].pk}

    assert as_charlie.post(url, data).status_code == 404
    assert as_pat.post(url, data).status_code == 403
    assert client.post(url, data).status_code == 302
    assert not Comparison.objects.exists()


# --- while measuring, and when it failed -----------------------------------------------------------


def test_a_queued_comparison_shows_a_status_that_polls_until_done(as_alice, patient, pair):
    comparison = Comparison.objects.create(patient=patient, before=pair[0], after=pair[1])
    status_url = reverse("comparison_status", args=[comparison.pk])

    page = as_alice.get(reverse("comparison", args=[comparison.pk])).content.decode()
    assert f'data-poll="{status_url}"' in page and "Waiting for the worker" in page
    assert "Download PDF report" not in page

    Comparison.objects.filter(pk=comparison.pk).update(status=JobStatus.DONE)
    fragment = as_alice.get(status_url)
    assert "data-poll" not in fragment.content.decode() and "Show the results" in fragment.content.decode()
    assert fragment["Cache-Control"] == "private, no-store"


def test_a_failed_comparison_says_why_and_offers_staff_a_retry(as_alice, as_pat, patient, pair):
    comparison = Comparison.objects.create(
        patient=patient, before=pair[0], after=pair[1], status=JobStatus.FAILED, failure="<b>no face found</b>"
    )
    url = reverse("comparison", args=[comparison.pk])

    staff = as_alice.get(url).content.decode()
    own = as_pat.get(url).content.decode()

    assert "&lt;b&gt;no face found&lt;/b&gt;" in staff and ">Retry</button>" in staff
    assert reverse("comparison_retry", args=[comparison.pk]) in staff
    assert "&lt;b&gt;no face found&lt;/b&gt;" in own and ">Retry</button>" not in own
    assert "data-poll" not in staff


def test_staff_retry_a_failed_comparison(as_bob, as_pat, as_charlie, patient, pair, committed):
    comparison = Comparison.objects.create(patient=patient, before=pair[0], after=pair[1], status=JobStatus.FAILED)
    url = reverse("comparison_retry", args=[comparison.pk])

    assert as_pat.post(url).status_code == 403
    assert as_charlie.post(url).status_code == 404
    assert as_bob.get(url).status_code == 405
    with committed():
        response = as_bob.post(url)

    assert response["Location"] == reverse("comparison", args=[comparison.pk])
    comparison.refresh_from_db()
    assert comparison.status == JobStatus.QUEUED
    assert "Only a failed job can be retried." in as_bob.post(url, follow=True).content.decode()


def test_a_comparison_the_quality_gate_stopped_says_why(as_alice, patient):
    before = _row(patient, "a", day=timezone.localdate() - dt.timedelta(days=30))
    after = _row(
        patient,
        "b",
        quality=QualityVerdict.REJECT,
        analysis={"quality": {"reasons": ["no face found"], "warnings": []}},
    )
    comparison = Comparison.objects.create(
        patient=patient, before=before, after=after, status=JobStatus.DONE, result={"zones": {}}, visuals={}
    )

    page = as_alice.get(reverse("comparison", args=[comparison.pk])).content.decode()

    assert "could not be measured against each other" in page and "no face found" in page
    assert reverse("comparison_visual", args=[comparison.pk, "before"]) not in page


# --- the viewer -----------------------------------------------------------------------------------


def test_the_viewer_shows_the_aligned_photos_maps_table_and_links(as_alice, done):
    start = timezone.localdate() - dt.timedelta(days=60)
    made = make_plan(parse_targets(["texture:left_cheek,right_cheek"]), start=start)
    TreatmentPlan.objects.create(patient=done.patient, targets=["texture:left_cheek"], start=start, plan=made.to_dict())

    page = as_alice.get(reverse("comparison", args=[done.pk])).content.decode()

    for name in ("before", "after", "heatmap-redness"):
        assert reverse("comparison_visual", args=[done.pk, name]) in page
    # Fine detail is compared only when both photos resolve it: a map, or the words why there is none.
    texture = done.result["zones"]["face"]["texture"]
    if texture["change"] == "not_measurable":
        assert escape(texture["reason"]) in page and "No map: this could not be measured over the face." in page
    else:
        assert reverse("comparison_visual", args=[done.pk, "heatmap-texture"]) in page
    assert "data-wipe" in page and 'type="range"' in page and "front/viewer.js" in page
    assert f'href="{reverse("comparison_pdf", args=[done.pk])}">Download PDF report</a>' in page
    assert f'<img src="{reverse("progress_chart", args=[done.patient_id])}"' in page
    assert "Texture (roughness): <span" in page and "(day 60: " in page
    assert "<th>Smallest detectable change</th>" in page
    assert escape(DETECTABLE_CHANGE_MEANING) in page
    assert "<td>Redness <span" in page and "less redness" in page
    assert '<div class="zone-table" data-zone="face">' in page
    assert '<div class="zone-table" data-zone="forehead" hidden>' in page
    assert '<figure class="heatmap-card" data-metric="redness">' in page
    assert '<figure class="heatmap-card" data-metric="texture" hidden>' in page
    # The figure is computed: another CPU (SIMD, BLAS) may round it differently, so read it back.
    printed = re.search(r"differ by (\d+\.\d\d)&nbsp;% of the distance between the eyes", page)
    assert printed is not None
    assert float(printed.group(1)) == pytest.approx(100 * done.result["alignment"]["residual_iod"], abs=0.0051)
    assert SIMULATED_NOTICE not in page


SOFTER = "the after photo is too soft to compare fine detail: it resolves 0.6 mm where this needs 0.3 mm"
#: A comparison where the after photo is softer: fine detail not measurable (its figures would read as smoother
#: skin), redness measured with no change.
SOFTER_RESULT: dict[str, Any] = {
    "schema": "dermadelta.compare/1",
    "before": {"quality": {"verdict": "ok", "reasons": [], "warnings": [], "effective_resolution_mm": 0.28}},
    "after": {
        "quality": {
            "verdict": "ok",
            "reasons": [],
            "warnings": [],
            "effective_resolution_mm": 0.6,
            "noise": 0.012,
            "glare_fraction": 0.14,
        }
    },
    "alignment": {
        "after_to_before": None,
        "residual_iod": 0.006,
        "after_colour_gains": [1.0, 1.0, 1.0],
        "mirrored": True,
    },
    "zones": {
        "face": {
            "redness": {"before": 10.6, "after": 10.7, "delta": 0.1, "mdc": 0.5, "change": "none"},
            **{
                metric: {
                    "before": b,
                    "after": a,
                    "delta": a - b,
                    "mdc": m,
                    "change": "not_measurable",
                    "reason": SOFTER,
                }
                for metric, b, a, m in (
                    ("texture", 5.577498, 3.688998, 0.089456),
                    ("pores", 0.031529, 0.015623, 0.003885),
                    ("wrinkles", 0.4, 0.2, 0.02),
                )
            },
        }
    },
}


def _stored(patient: Patient, result: dict[str, Any], *, files: bool = True, before_days: int = 40) -> Comparison:
    """A finished comparison as stored, with a plan whose treatment began 30 days ago (no images behind it)."""
    today = timezone.localdate()
    start = today - dt.timedelta(days=30)
    made = make_plan(parse_targets(["texture:left_cheek,right_cheek", "enlarged_pores:nose"]), start=start)
    TreatmentPlan.objects.create(patient=patient, targets=["texture:left_cheek"], start=start, plan=made.to_dict())
    before = _row(patient, "a", day=today - dt.timedelta(days=before_days))
    after = _row(patient, "b", day=today)
    visuals = {"files": {"before": "x/before.jpg", "after": "x/after.jpg"}, "heatmaps": []} if files else {}
    return Comparison.objects.create(
        patient=patient, before=before, after=after, status=JobStatus.DONE, result=result, visuals=visuals
    )


def test_a_softer_after_photo_shows_why_fine_detail_is_not_measurable_and_is_never_ahead(as_alice, as_pat, patient):
    comparison = _stored(patient, copy.deepcopy(SOFTER_RESULT))

    for page, course_words in (
        (as_alice.get(reverse("comparison", args=[comparison.pk])).content.decode(), "not measurable"),
        (
            as_pat.get(reverse("comparison", args=[comparison.pk])).content.decode(),
            "could not be measured on the latest photos",  # the course in the patient's words
        ),
    ):
        assert "ahead of what is expected" not in page and "more improvement than expected" not in page
        assert "smoother texture" not in page and "fewer visible pores" not in page
        # The summary, the zone table and the course all say "not measurable" with the reason, in words.
        assert f"Texture (roughness), Pores, Lines and wrinkles: {escape(SOFTER)}" in page
        assert f'<span class="badge unknown">not measurable</span> <span class="muted">{escape(SOFTER)}</span>' in page
        badge = f'<span class="badge unknown">{course_words}</span>'
        assert re.search(re.escape(f"Texture (roughness): {badge} ") + r'<span class="muted">\(day \d+: ', page)
        assert f"{escape(SOFTER)})</span>" in page
        assert "not_measurable" not in page
        assert "No change larger than what the measurement can detect." in page  # redness was measured: no change


def test_a_comparison_that_measured_nothing_says_no_change_could_be_judged(as_alice, patient):
    result = copy.deepcopy(SOFTER_RESULT)
    result["zones"]["face"]["redness"] = {
        "change": "not_measurable",
        "reason": "the red channel is saturated on 14 % of this zone",
    }

    page = as_alice.get(reverse("comparison", args=[_stored(patient, result).pk])).content.decode()

    assert "No change could be judged" in page
    assert "Redness: the red channel is saturated on 14 % of this zone" in page


@pytest.mark.parametrize(
    "refusal",
    [
        {"reason": "the after photo shows a different person from the before photo"},
        {
            "after": {
                "quality": {
                    "verdict": "reject",
                    "reasons": ["the after photo shows a different person from the before photo"],
                }
            }
        },
    ],
)
def test_a_comparison_of_a_different_person_says_why(as_alice, as_pat, patient, refusal):
    comparison = _stored(patient, {"schema": "dermadelta.compare/1", "zones": {}, **refusal}, files=False)

    for client in (as_alice, as_pat):
        page = client.get(reverse("comparison", args=[comparison.pk])).content.decode()
        assert "could not be measured against each other" in page
        assert "a different person from the before photo" in page
        assert "did not pass the quality check" not in page  # both photos did: the pair is what was refused


def test_an_older_stored_comparison_without_reasons_still_says_not_measurable(as_alice, patient):
    result = copy.deepcopy(SOFTER_RESULT)
    for key in ("before", "after"):
        result.pop(key)
    del result["alignment"]["mirrored"]
    for values in result["zones"]["face"].values():
        values.pop("reason", None)

    page = as_alice.get(reverse("comparison", args=[_stored(patient, result).pk])).content.decode()

    assert "Texture (roughness), Pores, Lines and wrinkles: no reason was recorded" in page
    assert "ahead of what is expected" not in page
    assert "resolves about" not in page and "mirror image" not in page


def test_the_results_page_says_how_sharp_each_photo_is_its_glare_and_a_mirrored_selfie(as_alice, patient):
    page = as_alice.get(
        reverse("comparison", args=[_stored(patient, copy.deepcopy(SOFTER_RESULT)).pk])
    ).content.decode()

    assert "Before photo</strong>: Usable. Sharpness: resolves about 0.28 mm on the face.</li>" in page
    after = "After photo</strong>: Usable. Sharpness: resolves about 0.6 mm on the face."
    assert f"{after} Glare: shine on about 14 % of the face.</li>" in page
    assert "The after photo was a mirror image" in page


def test_the_pickers_work_without_javascript(as_alice, done):
    url = reverse("comparison", args=[done.pk])

    page = as_alice.get(url, {"zone": "forehead", "metric": "texture"}).content.decode()
    assert '<div class="zone-table" data-zone="forehead">' in page
    assert '<div class="zone-table" data-zone="face" hidden>' in page
    assert '<figure class="heatmap-card" data-metric="texture">' in page
    assert '<option value="forehead" selected>' in page

    hostile = as_alice.get(url, {"zone": "<script>", "metric": "../../etc"}).content.decode()
    assert '<div class="zone-table" data-zone="face">' in hostile
    assert '<figure class="heatmap-card" data-metric="redness">' in hostile
    assert '<script>"' not in hostile and "../../etc" not in hostile


def test_without_a_plan_the_course_section_says_so(as_alice, done):
    page = as_alice.get(reverse("comparison", args=[done.pk])).content.decode()

    assert "There is no active treatment plan" in page


def test_the_viewer_says_when_the_photos_are_simulated(as_alice, done):
    Patient.objects.filter(pk=done.patient_id).update(simulated=True)

    page = as_alice.get(reverse("comparison", args=[done.pk])).content.decode()

    assert "SIMULATED: these photos were made from a public-domain portrait" in page


def test_the_patient_sees_her_own_comparison_and_no_one_elses(as_pat, as_quinn, as_charlie, as_bob, client, done):
    url = reverse("comparison", args=[done.pk])

    assert as_pat.get(url).status_code == 200
    assert as_bob.get(url).status_code == 200
    assert as_quinn.get(url).status_code == 404
    assert as_charlie.get(url).status_code == 404
    assert client.get(url).status_code == 302


def test_the_page_after_the_real_worker_shows_the_table_and_links(
    as_alice, alice, patient, face_pair, committed, run_worker
):
    outcome = actions.upload_photos(
        patient, [("a.jpg", face_pair[0]), ("b.jpg", face_pair[1])], view=View.FRONT, session=None, by=alice
    )
    before, after = outcome.saved
    with committed():
        as_alice.post(reverse("comparison_new", args=[patient.pk]), {"before": before.pk, "after": after.pk})

    run_worker()

    comparison = Comparison.objects.get(patient=patient)
    assert comparison.status == JobStatus.DONE, comparison.failure
    page = as_alice.get(reverse("comparison", args=[comparison.pk])).content.decode()
    assert "<th>Smallest detectable change</th>" in page and "less redness" in page
    assert reverse("comparison_visual", args=[comparison.pk, "after"]) in page
    assert "Download PDF report" in page
    pdf = as_alice.get(reverse("comparison_pdf", args=[comparison.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")


# --- images and the PDF ---------------------------------------------------------------------------


def test_it_serves_a_stored_visual_and_logs_the_read(as_alice, alice, done):
    response = as_alice.get(reverse("comparison_visual", args=[done.pk, "heatmap-redness"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg" and response.content.startswith(b"\xff\xd8")
    assert response["Cache-Control"] == "private, no-store"
    entry = AuditEntry.objects.filter(object_type="comparison", object_id=str(done.pk)).first()
    assert entry is not None and entry.action == AuditAction.VIEW and entry.detail == "visual heatmap-redness"
    assert entry.user == alice


@pytest.mark.parametrize("name", ["heatmap-nope", "report", "files", "..", "before.jpg", "%2e%2e", "heatmaps"])
def test_it_answers_404_for_any_other_visual_name(as_alice, done, name):
    url = f"/comparisons/{done.pk}/visual/{name}/"

    assert as_alice.get(url).status_code == 404


def test_visuals_are_only_for_the_patient_and_her_clinic(as_pat, as_quinn, as_charlie, done):
    url = reverse("comparison_visual", args=[done.pk, "before"])

    assert as_pat.get(url).status_code == 200
    assert as_quinn.get(url).status_code == 404
    assert as_charlie.get(url).status_code == 404


def test_it_downloads_the_pdf_report_as_an_audited_attachment(as_alice, alice, done):
    response = as_alice.get(reverse("comparison_pdf", args=[done.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert response["Content-Disposition"].startswith(f'attachment; filename="comparison-{done.pk}-')
    assert "Pat" not in response["Content-Disposition"]
    assert AuditEntry.objects.filter(
        action=AuditAction.DOWNLOAD, object_type="comparison", object_id=str(done.pk), user=alice
    ).exists()


def test_the_pdf_is_for_the_patient_and_her_clinic_only(as_pat, as_quinn, as_charlie, client, done):
    url = reverse("comparison_pdf", args=[done.pk])

    assert as_pat.get(url).status_code == 200
    assert as_quinn.get(url).status_code == 404
    assert as_charlie.get(url).status_code == 404
    assert client.get(url).status_code == 302


def test_there_is_no_pdf_before_the_comparison_is_done(as_alice, patient, pair):
    comparison = Comparison.objects.create(patient=patient, before=pair[0], after=pair[1])

    assert as_alice.get(reverse("comparison_pdf", args=[comparison.pk])).status_code == 404


# --- the course chart -----------------------------------------------------------------------------


def test_the_progress_chart_of_a_patient_with_nothing_measured_is_still_a_picture(as_alice, patient):
    response = as_alice.get(reverse("progress_chart", args=[patient.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png" and response.content.startswith(PNG_SIGNATURE)
    assert response["Cache-Control"] == "private, no-store"


def test_the_progress_chart_is_for_the_patient_and_her_clinic_only(
    as_pat, as_bob, as_quinn, as_charlie, client, patient
):
    url = reverse("progress_chart", args=[patient.pk])

    assert as_pat.get(url).status_code == 200
    assert as_bob.get(url).status_code == 200
    assert as_quinn.get(url).status_code == 404
    assert as_charlie.get(url).status_code == 404
    assert client.get(url).status_code == 302


def test_the_progress_chart_of_another_clinics_patient_is_404(as_alice, harbour, charlie):
    stranger = Patient.objects.create(
        clinic=harbour, first_name="Sam", last_name="Sea", date_of_birth=dt.date(1990, 1, 1)
    )
    Consent.objects.create(patient=stranger, kind=ConsentKind.PHOTOGRAPHY, granted_by=charlie)

    assert as_alice.get(reverse("progress_chart", args=[stranger.pk])).status_code == 404


def test_a_finished_comparison_with_nothing_stored_still_gives_a_page(as_alice, patient, pair):
    TreatmentPlan.objects.create(
        patient=patient, targets=["texture"], start=timezone.localdate(), plan={"sessions": []}
    )
    comparison = Comparison.objects.create(
        patient=patient, before=pair[0], after=pair[1], status=JobStatus.DONE, result=None, visuals={"files": {}}
    )

    response = as_alice.get(reverse("comparison", args=[comparison.pk]))

    assert response.status_code == 200
    assert "could not be measured against each other" in response.content.decode()
    assert as_alice.get(reverse("comparison_visual", args=[comparison.pk, "before"])).status_code == 404
    assert as_alice.get(reverse("comparison_pdf", args=[comparison.pk])).status_code == 404
    assert as_alice.get(reverse("progress_chart", args=[patient.pk])).content.startswith(PNG_SIGNATURE)
