"""What the web server refuses before the application sees a request is answered in the API's JSON error shape."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from dermadelta.clinic.running import free_port
from dermadelta.clinic.webserver import error_answer


def _ask(port: int, request: bytes) -> tuple[int, dict[str, str], bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def _get(port: int, *, authorization: bytes) -> tuple[int, dict[str, str], bytes]:
    request = (
        b"GET /api/v1/patients HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + authorization + b"\r\n"
        b"Connection: close\r\n\r\n"
    )
    return _ask(port, request)


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[int]:
    """``dermadelta serve`` as a clinic runs it, on a fresh data folder."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "DERMADELTA_S3_BUCKET"}}
    env["DERMADELTA_DATA_DIR"] = str(tmp_path_factory.mktemp("var"))
    migrate = [sys.executable, "-m", "dermadelta.cli", "manage", "migrate", "--no-input", "-v", "0"]
    subprocess.run(migrate, env=env, check=True, timeout=300)
    command = [sys.executable, "-m", "dermadelta.cli", "serve", "--port", str(port), "--workers", "1"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail("the web server did not start")
                time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_malformed_token_that_reaches_the_application_gets_its_json_answer(server):
    status, headers, body = _get(server, authorization=b"Bearer not-a-token")

    assert status == 401 and headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "unauthorized"


def test_an_oversized_token_gets_the_json_error_shape(server):
    status, headers, body = _get(server, authorization=b"Bearer " + b"a" * 20_000)

    assert status == 431 and headers["content-type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == "too_large" and "too long" in error["message"] and error["details"] == []


@pytest.mark.parametrize("token", [b"Bearer abc\x00def", b"Bearer abc\x01def"], ids=["nul", "control"])
def test_a_token_with_a_nul_or_control_character_gets_the_json_error_shape(server, token):
    status, headers, body = _get(server, authorization=token)

    assert status == 400 and headers["content-type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == "validation" and "NUL" in error["message"]
    assert b"<html" not in body


def test_a_malformed_request_line_gets_the_json_error_shape(server):
    status, headers, body = _ask(server, b"GET /api/v1/patients HTTP/9\r\nHost: x\r\n\r\n")

    assert status == 400 and json.loads(body)["error"]["code"] == "validation"


def test_the_answer_is_a_complete_response_that_says_its_length():
    answer = error_answer(431, "Request Header Fields Too Large", "too_large", "A header is too long.")

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
    assert f"Content-Length: {len(body)}".encode() in head and b"Connection: close" in head
    assert json.loads(body) == {"error": {"code": "too_large", "message": "A header is too long.", "details": []}}
