"""Why a request's body could not be read, in plain words: the same reason on the pages and in the API."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http.multipartparser import MultiPartParserError

from dermadelta.clinic.uploads import UploadTooLarge

#: Said when a file's name does not fit the upload's part headers (about 1,000 bytes, Django's limit).
LONG_FILE_NAME = "A file name is too long. Give the file a shorter name and upload it again."


def reason(error: BaseException) -> str:
    """One sentence a person can act on, for an error raised while Django read a request's body."""
    if isinstance(error, MultiPartParserError) and "header size" in str(error):
        # Each file's name travels in its part's headers; nothing else in an upload comes close.
        return LONG_FILE_NAME
    if isinstance(error, TooManyFilesSent):
        return "Too many files in one request."
    if isinstance(error, TooManyFieldsSent):
        return "Too many fields in one request."
    if isinstance(error, UploadTooLarge):
        return str(error)
    if isinstance(error, RequestDataTooBig):
        return "The request is too large."
    if isinstance(error, MultiPartParserError | SuspiciousOperation):
        return "The request could not be read. Reload the page and try again."
    return "The request could not be read."
