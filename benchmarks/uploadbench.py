"""A web worker's memory while it takes one upload of twelve 48 MP phone JPEGs (``make bench``).

Seeds the demo clinic into a fresh data folder, runs ``dermadelta serve`` and a
worker as ``make run`` does, signs in as the demo practitioner and posts twelve
generated 8000x6000 JPEGs in one request to the upload page, as the page's own
upload script does (asking for JSON). Reported: the answer (status, photos saved
and refused by name, seconds) and the peak resident memory of each web worker
process (``VmHWM`` in ``/proc/<pid>/status``), before and after the upload.

Run: ``python -m benchmarks.uploadbench --json out.json``
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import re
import tempfile
import time
import urllib.parse
from pathlib import Path
from typing import Any

import numpy as np

#: A 48 MP phone sensor's frame, landscape.
WIDTH, HEIGHT = 8000, 6000
PHOTOS = 12
BOUNDARY = "dermadeltaUploadBenchBoundary3f9c"


def phone_jpegs(count: int = PHOTOS, *, seed: int = 0) -> list[bytes]:
    """``count`` different 48 MP JPEGs with a phone photo's texture (smooth shading, sensor noise), quality 90."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    rows = np.linspace(0, 1, HEIGHT, dtype=np.float32)[:, None, None]
    cols = np.linspace(0, 1, WIDTH, dtype=np.float32)[None, :, None]
    tint = np.array([200, 150, 120], dtype=np.float32)
    base = tint * (0.6 + 0.25 * rows + 0.15 * cols)
    base = np.clip(base + rng.normal(0, 4, (HEIGHT, WIDTH, 1)).astype(np.float32), 0, 255).astype(np.uint8)
    photos = []
    for index in range(count):
        base[:64, :64] = index * 20  # each photo's bytes differ
        buffer = io.BytesIO()
        Image.fromarray(base).save(buffer, format="JPEG", quality=90)
        photos.append(buffer.getvalue())
    return photos


def multipart(photos: list[bytes], csrf_token: str) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{csrf_token}\r\n'.encode(),
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="view"\r\n\r\nfront\r\n'.encode(),
    ]
    for index, photo in enumerate(photos, start=1):
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photos"; filename="IMG_{index:04d}.jpg"\r\n'
            "Content-Type: image/jpeg\r\n\r\n"
        )
        parts += [head.encode(), photo, b"\r\n"]
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def descendants(pid: int) -> list[int]:
    """The processes below ``pid`` (gunicorn's workers under its master), read from ``/proc``."""
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue  # ended meanwhile
        parent = re.search(r"^PPid:\s+(\d+)", text, re.M)
        if parent:
            children.setdefault(int(parent.group(1)), []).append(int(status.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (``VmHWM``), in MiB."""
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
    return round(int(match.group(1)) / 1024, 1) if match else 0.0


def post(url: str, body: bytes, cookie: str, *, timeout_s: float) -> tuple[int, dict[str, Any], float]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout_s)
    headers = {
        "Cookie": cookie,
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Accept": "application/json",
        "Referer": url,
    }
    started = time.monotonic()
    connection.request("POST", parts.path, body=body, headers=headers)
    response = connection.getresponse()
    raw = response.read()
    seconds = time.monotonic() - started
    try:
        answer = json.loads(raw)
    except ValueError:
        answer = {"errors": [raw[:200].decode(errors="replace")]}
    return response.status, answer, round(seconds, 1)


def measure(*, photos: int = PHOTOS) -> dict[str, Any]:
    from benchmarks.loadbench import sign_in
    from dermadelta.clinic.running import demo_in, free_port, web_and_worker

    jpegs = phone_jpegs(photos)
    with tempfile.TemporaryDirectory(prefix="dermadelta-upload-") as folder:
        data_dir = Path(folder)
        demo = demo_in(data_dir, photos=2)
        (data_dir / "logs").mkdir()
        with web_and_worker("127.0.0.1", free_port(), log_dir=data_dir / "logs") as running:
            cookie = sign_in(running.url, *demo.logins["practitioner"])
            csrf = re.search(r"csrftoken=([^;]+)", cookie)
            body = multipart(jpegs, csrf.group(1) if csrf else "")
            server = running.supervisor.pids()["web server"]
            workers = descendants(server)
            before = {pid: peak_rss_mb(pid) for pid in workers}
            url = f"{running.url}/patients/{demo.patient_id}/photos/upload/"
            status, answer, seconds = post(url, body, cookie, timeout_s=300)
            after = {pid: peak_rss_mb(pid) for pid in workers}
    return {
        "photos": photos,
        "width": WIDTH,
        "height": HEIGHT,
        "request_mb": round(len(body) / 2**20, 1),
        "status": status,
        "seconds": seconds,
        "saved": [photo["name"] for photo in answer.get("saved", [])],
        "refused": answer.get("refused", []),
        "errors": answer.get("errors", []),
        "web_workers": len(workers),
        "worker_peak_rss_mb_before": max(before.values(), default=0.0),
        "worker_peak_rss_mb": max(after.values(), default=0.0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.uploadbench", description=__doc__)
    parser.add_argument("--json", type=Path, required=True, help="write the figures here")
    parser.add_argument("--photos", type=int, default=PHOTOS, help=f"photos in the upload (default {PHOTOS})")
    args = parser.parse_args(argv)
    figures = measure(photos=args.photos)
    args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
