"""Reading an upload's files: straight to temporary files on disk, under a size limit per file and per request.

A web worker never holds a whole photo in memory. A file larger than
``settings.MAX_PHOTO_BYTES`` stops being written as soon as it passes the limit
(the rest of it is read and dropped) and arrives as an :class:`OversizedUpload`,
which the upload action refuses by name while the other files are saved. A request
larger than ``settings.MAX_UPLOAD_BYTES`` is refused as a whole
(:class:`UploadTooLarge`, answered 413), before its body is read when it declares
its length and as soon as it passes the limit when it does not.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler


class UploadTooLarge(RequestDataTooBig):
    """The request carries more than one upload may: refused whole, in plain words."""

    def __init__(self) -> None:
        limit_mb = settings.MAX_UPLOAD_BYTES / 2**20
        super().__init__(
            f"This upload is larger than the {limit_mb:.0f} MB one upload may carry. "
            "Upload the photos in smaller groups."
        )


class OversizedUpload(UploadedFile):
    """A file that passed the per-file limit while it was read: only its name and size are kept."""

    def __init__(self, name: str, size: int, content_type: str | None) -> None:
        super().__init__(file=None, name=name, content_type=content_type, size=size)

    def chunks(self, chunk_size: int | None = None) -> Any:
        raise ValueError("an oversized upload keeps no content")

    def close(self) -> None:
        """Nothing to close: its temporary file went when it passed the limit. (The request
        closes its files in turn when it ends; an error here would leave the next ones open.)"""


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Django's temporary-file upload handler, counting what it receives against the limits."""

    def handle_raw_input(
        self, input_data: Any, META: Any, content_length: int, boundary: Any, encoding: str | None = None
    ) -> None:
        if content_length > settings.MAX_UPLOAD_BYTES:
            raise UploadTooLarge()  # refused on the declared length: nothing of the body is read
        self.received_total = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0
        self.oversized = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        self.received_total += len(raw_data)
        if self.received_total > settings.MAX_UPLOAD_BYTES:
            self.upload_interrupted()  # the partial temporary file goes now, not when collected
            raise UploadTooLarge()
        if self.received > settings.MAX_PHOTO_BYTES:
            if not self.oversized:
                self.oversized = True
                self.upload_interrupted()
            return None  # read and dropped
        self.file.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.oversized:
            return OversizedUpload(self.file_name or "", file_size, self.content_type)
        return super().file_complete(file_size)

    def upload_interrupted(self) -> None:
        if not self.file.closed:
            super().upload_interrupted()
