"""Marketing export: only photos of patients whose marketing consent is active at export time, display copies only."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from PIL import Image

from dermadelta.clinic.accounts.models import Clinic, Membership, Role
from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.choices import ConsentKind, View
from dermadelta.clinic.records.marketing import MANIFEST_COLUMNS, MANIFEST_NAME, anonymous_id
from dermadelta.clinic.records.models import Patient, Photo
from tests.clinic.photo_records import served_copies

PAGE = reverse("marketing_export")
ZIP = reverse("marketing_zip")


def camera_jpeg(colour: tuple[int, int, int]) -> bytes:
    """A small JPEG as a camera writes it: make, owner's name and a GPS position in its EXIF."""
    image = Image.new("RGB", (320, 240), colour)
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # make
    exif[0x013B] = "Pat Doe"  # artist
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (51.0, 30.0, 0.0)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def _photos(patient: Patient, by: Any, count: int, *, first_day: dt.date = dt.date(2026, 1, 5)) -> list[Photo]:
    files = [
        (f"{patient.last_name}-{n}.jpg", camera_jpeg((120 + 20 * n, 40 + 40 * (patient.pk % 5), 90)))
        for n in range(count)
    ]
    saved = actions.upload_photos(patient, files, view=View.FRONT, session=None, by=by).saved
    served_copies(*saved)
    for index, photo in enumerate(saved):
        taken = dt.datetime.combine(first_day + dt.timedelta(days=30 * index), dt.time(10), tzinfo=dt.UTC)
        Photo.objects.filter(pk=photo.pk).update(taken_at=taken)
    return saved


def _marketing(patient: Patient, by: Any) -> Any:
    return actions.grant_consent(patient, ConsentKind.MARKETING, by=by)


@pytest.fixture
def pats_photos(patient: Patient, alice: User) -> list[Photo]:
    """Pat consents to marketing; two photos."""
    _marketing(patient, alice)
    return _photos(patient, alice, 2)


@pytest.fixture
def quinns_photo(quinn: Patient, alice: User) -> Photo:
    """Quinn has photography consent but not marketing consent."""
    actions.grant_consent(quinn, ConsentKind.PHOTOGRAPHY, by=alice)
    return _photos(quinn, alice, 1)[0]


@pytest.fixture
def harbour_photo(harbour: Clinic, charlie: User) -> Photo:
    """A Harbour patient who consents to marketing (a stranger to Riverside)."""
    other = actions.create_patient(
        harbour, {"first_name": "Harriet", "last_name": "Harbourside", "date_of_birth": dt.date(1980, 1, 1)}, by=charlie
    )
    for kind in (ConsentKind.PHOTOGRAPHY, ConsentKind.MARKETING):
        actions.grant_consent(other, kind, by=charlie)
    return _photos(other, charlie, 1)[0]


@pytest.fixture
def as_dora(harbour: Clinic) -> Client:
    """Harbour's clinic admin."""
    user = User.objects.create_user("dora", "dora@example.org", "x" * 12)
    Membership.objects.create(user=user, clinic=harbour, role=Role.ADMIN)
    client = Client()
    client.force_login(user)
    return client


def _export(client: Client) -> zipfile.ZipFile:
    response = client.post(ZIP)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="marketing-photos-')
    return zipfile.ZipFile(io.BytesIO(response.content))


def _manifest(archive: zipfile.ZipFile) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(archive.read(MANIFEST_NAME).decode("utf-8"))))


def _display(photo: Photo) -> bytes:
    with photo.display.open("rb") as handle:
        return handle.read()


def test_it_counts_what_may_be_exported(as_bob, pats_photos, quinns_photo, harbour_photo):
    response = as_bob.get(PAGE)

    assert response.status_code == 200
    summary = response.content.decode().split('id="export-summary">', 1)[1].split("</p>", 1)[0]
    assert "<strong>2</strong> photos of" in summary and "<strong>1</strong> patient " in summary
    assert f'action="{ZIP}"' in response.content.decode()


def test_it_exports_only_photos_of_patients_with_active_marketing_consent(
    as_bob, pats_photos, quinns_photo, harbour_photo
):
    archive = _export(as_bob)

    photos = sorted(name for name in archive.namelist() if name.endswith(".jpg"))
    assert len(photos) == 2
    exported = {archive.read(name) for name in photos}
    assert exported == {_display(photo) for photo in pats_photos}
    assert _display(quinns_photo) not in exported and _display(harbour_photo) not in exported


def test_it_exports_display_copies_without_exif_never_originals(as_bob, pats_photos):
    archive = _export(as_bob)

    for name in archive.namelist():
        data = archive.read(name)
        assert b"SecretCam" not in data and b"Pat Doe" not in data
        if name.endswith(".jpg"):
            with Image.open(io.BytesIO(data)) as image:
                assert image.format == "JPEG"
                assert dict(image.getexif()) == {}
    for photo in pats_photos:
        with photo.original.open("rb") as handle:
            assert b"SecretCam" in handle.read()  # the original keeps its EXIF; it never leaves


def test_it_writes_a_manifest_without_names(as_bob, patient, pats_photos):
    archive = _export(as_bob)
    text = archive.read(MANIFEST_NAME).decode("utf-8")
    rows = _manifest(archive)

    assert text.splitlines()[0] == ",".join(MANIFEST_COLUMNS)
    for private in ("Pat", "Doe", "pat@example.org", "1988", str(patient.date_of_birth), "Doe-0.jpg"):
        assert private not in text
    assert {row["patient"] for row in rows} == {anonymous_id("patient", patient.pk)}
    assert {row["photo"] for row in rows} == {anonymous_id("photo", photo.pk) for photo in pats_photos}
    assert sorted(row["day"] for row in rows) == ["0", "30"]  # days since the first photo, not dates
    assert {row["file"] for row in rows} == {name for name in archive.namelist() if name != MANIFEST_NAME}
    assert {row["simulated"] for row in rows} == {"no"} and {row["view"] for row in rows} == {"front"}
    assert all(row["patient"] != str(patient.pk) and not row["patient"].endswith(f"-{patient.pk}") for row in rows)


def test_it_gives_stable_ids_that_differ_between_patients(as_bob, pats_photos, quinn, quinns_photo, alice):
    _marketing(quinn, alice)

    first, second = _manifest(_export(as_bob)), _manifest(_export(as_bob))

    assert first == second
    assert len({row["patient"] for row in first}) == 2


def test_it_audits_one_download_per_exported_photo(as_bob, bob, patient, pats_photos, quinns_photo):
    _export(as_bob)

    entries = AuditEntry.objects.filter(action=AuditAction.DOWNLOAD)
    assert entries.count() == 2
    assert {(e.object_type, e.object_id) for e in entries} == {("photo", str(p.pk)) for p in pats_photos}
    assert {e.patient_id for e in entries} == {patient.pk}
    assert {e.user_id for e in entries} == {bob.pk} and {e.clinic_id for e in entries} == {patient.clinic_id}


def test_it_drops_a_patient_from_the_very_next_export_when_they_withdraw(
    as_bob, bob, patient, pats_photos, quinn, quinns_photo, alice
):
    _marketing(quinn, alice)
    assert len(_manifest(_export(as_bob))) == 3

    actions.withdraw_consent(patient.consents.get(kind=ConsentKind.MARKETING, withdrawn_at__isnull=True), by=bob)

    archive = _export(as_bob)
    rows = _manifest(archive)
    assert [row["photo"] for row in rows] == [anonymous_id("photo", quinns_photo.pk)]
    assert all(_display(photo) not in {archive.read(n) for n in archive.namelist()} for photo in pats_photos)
    assert "<strong>1</strong> photo of" in as_bob.get(PAGE).content.decode()


def test_it_exports_nothing_once_the_only_consent_is_withdrawn(as_bob, bob, patient, pats_photos):
    actions.withdraw_consent(patient.consents.get(kind=ConsentKind.MARKETING), by=bob)
    downloads = AuditEntry.objects.filter(action=AuditAction.DOWNLOAD).count()

    response = as_bob.post(ZIP, follow=True)

    assert response.redirect_chain[-1][0] == PAGE
    assert "nothing to export" in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.DOWNLOAD).count() == downloads == 0
    assert "<strong>0</strong> photos of" in response.content.decode()


def test_it_includes_a_patient_again_after_a_new_grant(as_bob, bob, patient, pats_photos):
    actions.withdraw_consent(patient.consents.get(kind=ConsentKind.MARKETING), by=bob)
    _marketing(patient, bob)

    assert len(_manifest(_export(as_bob))) == 2


def test_it_exports_a_harbour_admin_only_harbour_photos(as_dora, pats_photos, harbour_photo):
    archive = _export(as_dora)

    rows = _manifest(archive)
    assert [row["photo"] for row in rows] == [anonymous_id("photo", harbour_photo.pk)]


def test_it_refuses_everyone_but_clinic_admins(as_alice, as_charlie, as_pat, client, pats_photos):
    for page in (PAGE, ZIP):
        for other in (as_alice, as_charlie, as_pat):
            assert other.post(page).status_code in (403, 405)
            assert other.get(page).status_code == 403
        response = client.get(page)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not AuditEntry.objects.filter(action=AuditAction.DOWNLOAD).exists()


def test_it_downloads_only_by_post(as_bob, pats_photos):
    assert as_bob.get(ZIP).status_code == 405
    assert not AuditEntry.objects.filter(action=AuditAction.DOWNLOAD).exists()
