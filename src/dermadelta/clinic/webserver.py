"""The web server's worker: gunicorn's, answering what gunicorn refuses itself in the API's error shape.

gunicorn reads the request line and the headers before the application sees them,
and refuses some requests there: a header longer than its limit (an oversized API
token), a NUL or other control character in a header, a malformed request line.
Its own answer is an HTML page; API clients read ``{"error": {"code", "message",
"details"}}`` (:mod:`dermadelta.clinic.api.errors`), so this worker answers these
refusals in that shape. Browsers never send such requests.
"""

from __future__ import annotations

import json
from typing import Any

from gunicorn import util
from gunicorn.http import errors as http
from gunicorn.workers.sync import SyncWorker

#: What gunicorn refuses before the application: (errors, HTTP status, reason phrase, code, message).
REFUSALS: tuple[tuple[tuple[type[Exception], ...], int, str, str, str], ...] = (
    (
        (http.LimitRequestHeaders,),
        431,
        "Request Header Fields Too Large",
        "too_large",
        "A request header is too long, or there are too many (an API token is far shorter).",
    ),
    ((http.LimitRequestLine,), 414, "URI Too Long", "too_large", "The address is too long."),
    (
        (http.InvalidHeader, http.InvalidHeaderName, http.ObsoleteFolding),
        400,
        "Bad Request",
        "validation",
        "A request header is malformed (a NUL or other control character, or an invalid name).",
    ),
    (
        (http.InvalidRequestLine, http.InvalidRequestMethod, http.InvalidHTTPVersion),
        400,
        "Bad Request",
        "validation",
        "The request line is malformed.",
    ),
)


def error_answer(status: int, reason: str, code: str, message: str) -> bytes:
    """A complete HTTP response carrying the API's error shape; the connection is closed after it."""
    body = json.dumps({"error": {"code": code, "message": message, "details": []}}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "Cache-Control: no-store\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class ApiErrorWorker(SyncWorker):
    """gunicorn's synchronous worker, with its refusals of unreadable requests answered as JSON."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        for errors, status, reason, code, message in REFUSALS:
            if isinstance(exc, errors) and not isinstance(exc, http.InvalidResponseHeader):
                address = addr[0] if addr else ""
                self.log.warning("Invalid request from ip=%s: %s", address, exc)
                try:
                    util.write_nonblock(client, error_answer(status, reason, code, message))
                except OSError:
                    self.log.debug("Failed to send error message.")
                return
        super().handle_error(req, client, addr, exc)
