"""Load on the running clinic application from a second process (``make bench``).

Seeds the demo clinic into a fresh data folder, runs the web server (two gunicorn
workers, one per core) and a worker exactly as ``make run`` does, signs in as the
demo practitioner and drives ``wrk`` (Debian's package) on loopback against the
dashboard, the patient page and a photo upload. The database is whatever
``DATABASE_URL`` selects (SQLite when unset), so the same run under
``scripts/with-postgres`` measures PostgreSQL.

Run: ``python -m benchmarks.loadbench --json out.json``
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

WRK = "wrk"
#: wrk's own summary lacks the 95th percentile; this script prints what we report as one JSON line.
WRK_REPORT = """
init = function(args)
  if args[1] then
    local f = assert(io.open(args[1], "rb"))
    wrk.method = "POST"
    wrk.body = f:read("*all")
    f:close()
    wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. args[2]
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "socket_errors": %d, "http_errors": %d, '
    .. '"p50_us": %d, "p95_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""
BOUNDARY = "dermadeltaBenchBoundary7MA4YWxkTrZu0gW"


@dataclass(frozen=True)
class Load:
    """What ``wrk`` measured for one page."""

    page: str
    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int


def sign_in(base: str, username: str, password: str) -> str:
    """Sign in through the real login form; return the Cookie header of the session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if token is None:
        raise RuntimeError("the login page has no CSRF token")
    form = {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
    opener.open(f"{base}/login/", urllib.parse.urlencode(form).encode()).read()
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise RuntimeError(f"signing in as {username} failed")
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def check_page(url: str, cookie: str) -> None:
    """The page answers 200 to the signed-in session (a redirect to sign-in would measure the wrong page)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})
    try:
        status = urllib.request.build_opener(_NoRedirect()).open(request).status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != 200:
        raise RuntimeError(f"{url} answered {status}, not 200")


def multipart_upload(photo: bytes, csrf_token: str) -> bytes:
    """The body the upload form posts: one front-view photo."""
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{csrf_token}\r\n',
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="view"\r\n\r\nfront\r\n',
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photos"; filename="bench.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n",
    ]
    return "".join(parts).encode() + photo + f"\r\n--{BOUNDARY}--\r\n".encode()


def run_wrk(
    page: str, url: str, cookie: str, *, seconds: int, connections: int, script: Path, body: Path | None
) -> Load:
    command = [WRK, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "-H", f"Cookie: {cookie}"]
    command += ["-s", str(script), url]
    if body is not None:
        command += ["--", str(body), BOUNDARY]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    report = json.loads(next(line for line in output.splitlines() if line.startswith("{")))
    duration = report["duration_us"] / 1e6
    return Load(
        page=page,
        requests=report["requests"],
        seconds=round(duration, 1),
        requests_per_second=round(report["requests"] / duration, 1),
        p50_ms=round(report["p50_us"] / 1000, 1),
        p95_ms=round(report["p95_us"] / 1000, 1),
        p99_ms=round(report["p99_us"] / 1000, 1),
        errors=report["socket_errors"] + report["http_errors"],
    )


def measure(*, seconds: int, connections: int) -> dict[str, object]:
    if shutil.which(WRK) is None:
        raise SystemExit("wrk is not installed (make install installs it)")
    from dermadelta.clinic.running import demo_in, free_port, web_and_worker
    from dermadelta.demo import simulated_pair

    with tempfile.TemporaryDirectory(prefix="dermadelta-load-") as folder:
        data_dir = Path(folder)
        demo = demo_in(data_dir, photos=2)
        script = data_dir / "report.lua"
        script.write_text(WRK_REPORT)
        (data_dir / "logs").mkdir()
        with web_and_worker("127.0.0.1", free_port(), log_dir=data_dir / "logs") as running:
            cookie = sign_in(running.url, *demo.logins["practitioner"])
            csrf = re.search(r"csrftoken=([^;]+)", cookie)
            body = data_dir / "upload.body"
            body.write_bytes(multipart_upload(simulated_pair(seed=5)[0], csrf.group(1) if csrf else ""))
            patient = f"{running.url}/patients/{demo.patient_id}"
            pages: dict[str, tuple[str, Path | None]] = {
                "dashboard": (f"{running.url}/dashboard/", None),
                "patient page": (f"{patient}/", None),
                "photo upload": (f"{patient}/photos/upload/", body),
            }
            for url, _ in pages.values():
                check_page(url, cookie)
            loads = [
                run_wrk(name, url, cookie, seconds=seconds, connections=connections, script=script, body=upload)
                for name, (url, upload) in pages.items()
            ]
    database = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    return {"database": database, "seconds": seconds, "connections": connections, "loads": [asdict(x) for x in loads]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.loadbench", description=__doc__)
    parser.add_argument("--json", type=Path, required=True, help="write the figures here")
    parser.add_argument("--seconds", type=int, default=15, help="load per page (default 15)")
    parser.add_argument("--connections", type=int, default=4, help="open connections (default 4)")
    args = parser.parse_args(argv)
    figures = measure(seconds=args.seconds, connections=args.connections)
    args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
