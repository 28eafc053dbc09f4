"""Uploads off the request path: files streamed to disk under size limits, decoded by the worker, nothing left over.

The request reads each file's header only; the worker decodes it and makes the
served copy. Whatever step fails, no stored file is left that no record names, and
no temporary file of the upload outlives the request.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.db import DatabaseError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.datastructures import MultiValueDict

from dermadelta.clinic.records import actions, tasks
from dermadelta.clinic.records.choices import JobStatus, View
from dermadelta.clinic.records.models import Photo
from dermadelta.clinic.records.orphans import orphan_files
from dermadelta.clinic.uploads import LimitedUploadHandler, OversizedUpload, UploadTooLarge
from tests.api.conftest import BASE, with_token

# A temporary file left open is deleted by the garbage collector, which reports the error
# of a file already moved or gone: here that fails the test instead of warning.
pytestmark = pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")

#: Counts every unnamed stored file as an orphan, however new.
EVERY_FILE = dt.timedelta(minutes=-1)


@pytest.fixture
def incoming(settings: Any, tmp_path: Path) -> Path:
    """The folder the upload handler streams files into, watched for leftovers."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    return folder


def _file(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def _post(client: Any, patient: Any, files: list[SimpleUploadedFile], **headers: str) -> Any:
    data = {"view": View.FRONT, "session": "", "photos": files}
    return client.post(reverse("photo_upload", args=[patient.pk]), data, headers=headers)


def _stored(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def _leftovers(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()]


# --- the request ---------------------------------------------------------------------------------


def test_the_request_streams_each_file_to_disk_and_decodes_nothing(
    monkeypatch, as_alice, patient, face_pair, incoming, private_media
):
    def no_decoding(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a photo was decoded inside the request")

    monkeypatch.setattr("dermadelta.imaging.decode._decode", no_decoding)
    given: list[Any] = []
    real_upload = actions.upload_photos

    def spy(patient: Any, files: Any, **kwargs: Any) -> Any:
        given.extend(content for _, content in files)
        return real_upload(patient, files, **kwargs)

    monkeypatch.setattr(actions, "upload_photos", spy)

    response = _post(as_alice, patient, [_file("a.jpg", face_pair[0]), _file("b.jpg", face_pair[1])])

    assert response.status_code == 302
    assert [type(content) for content in given] == [TemporaryUploadedFile, TemporaryUploadedFile]
    photos = list(Photo.objects.filter(patient=patient))
    assert [(p.original_name, p.status, bool(p.display)) for p in photos] == [
        ("a.jpg", JobStatus.QUEUED, False),
        ("b.jpg", JobStatus.QUEUED, False),
    ]
    assert all(p.width > 0 and p.height > 0 for p in photos)  # read from the header
    assert len(_stored(private_media)) == 2 and _leftovers(incoming) == []


def test_a_file_over_the_per_file_limit_is_refused_by_name_and_the_others_saved(
    settings, as_alice, patient, face_pair, incoming, private_media
):
    settings.MAX_PHOTO_BYTES = len(face_pair[0]) + 100
    big = face_pair[1] + b"\0" * (len(face_pair[0]) + 1000)

    response = _post(
        as_alice, patient, [_file("big.jpg", big), _file("fits.jpg", face_pair[0])], Accept="application/json"
    )

    answer = response.json()
    assert response.status_code == 200
    assert [saved["name"] for saved in answer["saved"]] == ["fits.jpg"]
    assert len(answer["refused"]) == 1 and answer["refused"][0].startswith("big.jpg: ")
    assert "larger than the" in answer["refused"][0]
    assert len(_stored(private_media)) == 1 and _leftovers(incoming) == []


@pytest.mark.parametrize("kind", ["page", "fetch", "api"])
def test_a_request_over_the_total_limit_is_refused_whole_with_413(
    settings, as_alice, alice, patient, face_pair, incoming, private_media, kind
):
    settings.MAX_UPLOAD_BYTES = 2**20
    files = [_file("a.jpg", face_pair[0]), _file("b.jpg", face_pair[1] + b"\0" * 2**20)]
    words = "This upload is larger than the 1 MB one upload may carry. Upload the photos in smaller groups."

    if kind == "api":
        response = with_token(alice).post(f"{BASE}/patients/{patient.pk}/photos", {"view": "front", "photos": files})
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "too_large" and response.json()["error"]["message"] == words
    elif kind == "fetch":
        response = _post(as_alice, patient, files, Accept="application/json")
        assert response.status_code == 413 and response.json()["errors"] == [words]
    else:
        response = _post(as_alice, patient, files)
        assert response.status_code == 413 and words in response.content.decode()
    assert not Photo.objects.exists() and _stored(private_media) == [] and _leftovers(incoming) == []


def test_a_request_that_refused_a_file_by_size_still_closes_the_files_after_it(settings, incoming):
    # The request closes its files in turn when it ends, and the first error stops it.
    kept = TemporaryUploadedFile("fits.jpg", "image/jpeg", 0, None)
    request = HttpRequest()
    request._files = MultiValueDict({"photos": [OversizedUpload("big.jpg", 2**30, "image/jpeg"), kept]})

    request.close()

    assert kept.closed and _leftovers(incoming) == []


def test_a_request_of_undeclared_length_is_stopped_as_soon_as_it_passes_the_limit(settings, incoming):
    settings.MAX_UPLOAD_BYTES = 1000
    handler = LimitedUploadHandler()
    handler.handle_raw_input(None, {}, 0, b"boundary")  # chunked: no length declared
    handler.new_file("photos", "a.jpg", "image/jpeg", None)
    handler.receive_data_chunk(b"x" * 600, 0)
    assert len(_leftovers(incoming)) == 1

    with pytest.raises(UploadTooLarge):
        handler.receive_data_chunk(b"x" * 600, 600)

    assert _leftovers(incoming) == []


# --- a failure at each step leaves no orphan -------------------------------------------------------


def _fail_storing(monkeypatch: Any, part: str) -> None:
    real_save = FileSystemStorage._save

    def save(storage: Any, name: str, content: Any) -> str:
        if part in name:
            raise OSError(28, "No space left on device")
        return real_save(storage, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", save)


def _raise(*args: Any, **kwargs: Any) -> Any:
    raise DatabaseError("the database went away")


@pytest.mark.parametrize("step", ["storing the original", "the row", "the audit entry"])
def test_a_failure_in_the_request_refuses_the_file_by_name_and_leaves_no_file(
    monkeypatch, as_alice, patient, face_pair, incoming, private_media, step
):
    if step == "storing the original":
        _fail_storing(monkeypatch, "original")
    elif step == "the row":
        monkeypatch.setattr(Photo, "save", _raise)
    else:
        monkeypatch.setattr(actions, "record", _raise)

    response = _post(as_alice, patient, [_file("a.jpg", face_pair[0])], Accept="application/json")

    assert response.json()["refused"] == [
        "a.jpg: could not be stored just now; nothing of it was kept. Try this photo again."
    ]
    assert not Photo.objects.exists() and _stored(private_media) == [] and _leftovers(incoming) == []


class _FailingDisplayUpdate:
    def __init__(self, rows: Any) -> None:
        self.rows = rows

    def update(self, **fields: Any) -> int:
        if fields.get("display"):
            raise DatabaseError("the database went away")
        return int(self.rows.update(**fields))


@pytest.mark.parametrize(
    "step", ["decoding", "the served copy", "storing the served copy", "recording the served copy", "the analysis"]
)
def test_a_failure_in_the_worker_leaves_no_file_without_its_record(
    monkeypatch, as_alice, patient, face_pair, private_media, step
):
    data = face_pair[0][: len(face_pair[0]) // 2] if step == "decoding" else face_pair[0]
    _post(as_alice, patient, [_file("a.jpg", data)])
    photo = Photo.objects.get()
    if step == "the served copy":
        monkeypatch.setattr(tasks, "display_copy", _raise)
    elif step == "storing the served copy":
        _fail_storing(monkeypatch, "display")
    elif step == "recording the served copy":
        holding = tasks._holding
        monkeypatch.setattr(tasks, "_holding", lambda job: _FailingDisplayUpdate(holding(job)))
    elif step == "the analysis":
        monkeypatch.setattr("dermadelta.imaging.pipeline.analyze", _raise)

    try:
        tasks.analyse_photo.call(photo.pk)
    except (DatabaseError, OSError):
        pass  # an unexpected error is raised again for the worker's log, once recorded on the row

    photo.refresh_from_db()
    assert photo.status == JobStatus.FAILED
    assert orphan_files(grace=EVERY_FILE) == []
    names = {p.relative_to(private_media).as_posix() for p in _stored(private_media)}
    if step == "decoding":
        assert names == set() and photo.failure.startswith("a.jpg: ")  # refused by name, nothing kept
    elif step == "the analysis":
        assert names == {photo.original.name, photo.display.name}  # kept for a retry
    else:
        assert names == {photo.original.name} and not photo.display  # kept for a retry
