"""No stored file outlives its record: a failed store leaves nothing; the sweep removes what a killed process left."""

from __future__ import annotations

import hashlib
import os
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import call_command

from dermadelta.clinic.records import actions
from dermadelta.clinic.records.models import Comparison, Photo
from dermadelta.clinic.records.orphans import GRACE, orphan_files, remove_orphan_files


def _stored(media: Path) -> set[str]:
    return {p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file()} if media.exists() else set()


def _age(media: Path, name: str, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(media / name, (then, then))


def _write(name: str, data: bytes = b"left behind") -> str:
    return default_storage.save(name, ContentFile(data))


def _upload(patient, alice, *files):
    return actions.upload_photos(patient, list(files), view="front", session=None, by=alice)


# --- a file that cannot be stored ------------------------------------------------------------------


def test_a_photo_whose_original_cannot_be_written_is_refused_by_name_and_leaves_nothing(
    monkeypatch, patient, alice, face_pair, private_media
):
    failing = hashlib.sha256(face_pair[1]).hexdigest()[:16]
    real_save = FileSystemStorage._save

    def save(storage, name, content):
        if failing in name and "original" in name:
            raise OSError(28, "No space left on device")
        return real_save(storage, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", save)

    outcome = _upload(patient, alice, ("before.jpg", face_pair[0]), ("after.jpg", face_pair[1]))

    assert [p.original_name for p in outcome.saved] == ["before.jpg"]
    assert outcome.refused == ["after.jpg: could not be stored just now; nothing of it was kept. Try this photo again."]
    assert list(Photo.objects.values_list("original_name", flat=True)) == ["before.jpg"]
    saved = outcome.saved[0]
    assert _stored(private_media) == {saved.original.name}  # its served copy is the worker's to make


def test_a_photo_whose_row_cannot_be_written_leaves_no_file(monkeypatch, patient, alice, face_pair, private_media):
    def refuse(*args, **kwargs):
        raise RuntimeError("the audit log is unavailable")

    monkeypatch.setattr(actions, "record", refuse)

    outcome = _upload(patient, alice, ("a.jpg", face_pair[0]))

    assert outcome.saved == [] and outcome.refused[0].startswith("a.jpg: could not be stored")
    assert not Photo.objects.exists() and _stored(private_media) == set()


# --- the sweep -------------------------------------------------------------------------------------


def test_the_sweep_removes_old_files_no_record_names_and_nothing_else(patient, alice, face_pair, private_media):
    photo = _upload(patient, alice, ("a.jpg", face_pair[0])).saved[0]
    folder = f"clinic-{patient.clinic_id}/patient-{patient.pk}"
    orphan = _write(f"{folder}/0123456789abcdef-original")  # a web worker killed before the row
    fresh = _write(f"{folder}/fedcba9876543210-original")  # an upload still in progress
    elsewhere = _write("notes/readme.txt")  # not a record's folder: not the sweep's business
    for name in (photo.original.name, orphan, elsewhere):
        _age(private_media, name, GRACE.total_seconds() + 60)

    removed = remove_orphan_files()

    assert removed == [orphan]
    assert _stored(private_media) == {photo.original.name, fresh, elsewhere}
    assert orphan_files() == []


def test_the_sweep_keeps_a_comparisons_report_and_images(patient, alice, face_pair, private_media):
    before, after = _upload(patient, alice, ("a.jpg", face_pair[0]), ("b.jpg", face_pair[1])).saved
    folder = f"clinic-{patient.clinic_id}/patient-{patient.pk}/comparison-1"
    report, image, dead = _write(f"{folder}/report.pdf"), _write(f"{folder}/before.jpg"), _write(f"{folder}/x.jpg")
    Comparison.objects.create(
        patient=patient, before=before, after=after, report_pdf=report, visuals={"files": {"before": image}}
    )
    for name in _stored(private_media):
        _age(private_media, name, GRACE.total_seconds() + 60)

    assert remove_orphan_files() == [dead]
    assert {report, image} <= _stored(private_media)


def test_the_sweep_keeps_the_files_of_a_hidden_photo_and_its_comparisons(patient, alice, face_pair, private_media):
    from dermadelta.clinic.accounts.access import actor_of
    from dermadelta.clinic.records.photo_visibility import hide_photo

    before, after = _upload(patient, alice, ("a.jpg", face_pair[0]), ("b.jpg", face_pair[1])).saved
    report = _write(f"clinic-{patient.clinic_id}/patient-{patient.pk}/comparison-1/report.pdf")
    Comparison.objects.create(patient=patient, before=before, after=after, report_pdf=report, visuals={})
    hide_photo(after, actor=actor_of(alice))  # its uploader hides it: every list leaves it out from now on
    for name in _stored(private_media):
        _age(private_media, name, GRACE.total_seconds() + 60)

    assert remove_orphan_files() == []  # showing it again brings everything back
    assert {after.original.name, report} <= _stored(private_media)


def test_the_sweep_finds_nothing_before_anything_is_stored(private_media):
    assert not private_media.exists()
    assert remove_orphan_files() == []


def test_a_deleted_patients_photos_are_orphans_too(patient, alice, face_pair, private_media):
    photo = _upload(patient, alice, ("a.jpg", face_pair[0])).saved[0]
    names = {photo.original.name}
    for name in names:
        _age(private_media, name, GRACE.total_seconds() + 60)
    Photo.objects.all().delete()

    assert set(remove_orphan_files()) == names and _stored(private_media) == set()


@pytest.mark.parametrize(("minutes", "removed"), [("0", 1), ("600", 0)])
def test_the_command_removes_orphans_older_than_it_is_told(patient, private_media, minutes, removed):
    name = _write(f"clinic-{patient.clinic_id}/patient-{patient.pk}/0123456789abcdef-original")
    _age(private_media, name, 60)
    out = StringIO()

    call_command("remove_orphan_files", "--older-than-minutes", minutes, stdout=out)

    assert out.getvalue().strip() == f"{removed} file(s) removed"


# --- temporary files of an upload cut off while the request read it ----------------------------------


def test_an_upload_cut_off_mid_request_leaves_its_temporary_file_to_the_sweep(settings, tmp_path, private_media):
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(incoming)
    stale, fresh = incoming / "tmpa1.upload.jpg", incoming / "tmpb2.upload.jpg"
    stale.write_bytes(b"a photo with its GPS position")
    fresh.write_bytes(b"a photo still arriving")
    _age(incoming, stale.name, GRACE.total_seconds() + 60)

    removed = remove_orphan_files()

    assert removed == [stale.name]
    assert not stale.exists() and fresh.exists()  # a request may still be writing the younger one


def test_uploads_are_read_into_a_folder_of_the_data_folder_only_this_account_enters(settings):
    folder = Path(settings.FILE_UPLOAD_TEMP_DIR)
    assert folder.is_dir() and folder.parent == Path(settings.DATA_DIR)
    assert folder.stat().st_mode & 0o077 == 0  # not the machine's shared /tmp
