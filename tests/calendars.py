"""Checking a calendar file as other software reads it: two iCalendar parsers and a real CalDAV server.

:func:`parse_strictly` reads a file with the ``icalendar`` package and with
``vobject`` (the parser Radicale uses), and fails on anything either had to guess
at: vobject logs, rather than raises, what it repairs (an absolute alarm trigger
without ``VALUE=DATE-TIME``, for one). :class:`Radicale` starts the CalDAV server of
that name on 127.0.0.1 at a free port, its storage in a folder of its own;
:func:`store_on` puts every event of a file into a new calendar on it, one
resource per UID as CalDAV asks (RFC 4791, 4.1), and reads each back.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import logging
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

import icalendar
import vobject

#: How long the server may take to answer its first request (a loaded test machine is slow).
START_SECONDS = 30.0
#: The loggers vobject writes to (it sets their level to errors only when it is imported).
VOBJECT_LOGGERS = ("vobject", "vobject.base", "vobject.icalendar")
#: The calendar properties each resource keeps from the file it came from.
CALENDAR_PROPERTIES = ("PRODID", "VERSION", "CALSCALE")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def _complaints() -> Iterator[list[str]]:
    """Everything logged at WARNING or above, and every Python warning, while the block runs."""
    collect = _Collect()
    # vobject quiets its own logger to errors only: its warnings are what is asked for here.
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in VOBJECT_LOGGERS)]
    levels = [logger.level for logger in loggers]
    loggers[0].addHandler(collect)
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    said: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield said
    finally:
        loggers[0].removeHandler(collect)
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
    said += [f"{r.name}: {r.getMessage()}" for r in collect.records if r.levelno >= logging.WARNING]
    said += [f"warning: {w.message}" for w in caught]


def parse_strictly(data: bytes) -> icalendar.Calendar:
    """``data`` as one VCALENDAR that icalendar and vobject both read without a complaint.

    vobject transforms every property to its value (a trigger to a datetime or a
    duration), validates each component (required and single properties) and writes
    it again; icalendar must record no property it failed to read.
    """
    text = data.decode("utf-8")
    with _complaints() as said:
        parsed = list(vobject.readComponents(text, validate=True))
        for component in parsed:
            component.serialize(validate=True)
    assert said == [], said
    assert [c.name for c in parsed] == ["VCALENDAR"]

    calendar = icalendar.Calendar.from_ical(data)
    assert isinstance(calendar, icalendar.Calendar)
    for component in calendar.walk():
        assert not component.errors, (component.name, component.errors)
    # RFC 5545, 3.6: a calendar holds at least one component.
    assert calendar.subcomponents, "a calendar with no component"
    return calendar


def by_uid(data: bytes) -> dict[str, bytes]:
    """Each UID's components as a calendar of their own, with every time zone of the file.

    CalDAV keeps one event (with its exceptions) per resource; a file with many
    events is uploaded to a CalDAV server this way.
    """
    calendar = icalendar.Calendar.from_ical(data)
    zones = calendar.walk("VTIMEZONE")
    groups: dict[str, list[Any]] = {}
    for component in calendar.subcomponents:
        if component.name != "VTIMEZONE":
            groups.setdefault(str(component["UID"]), []).append(component)
    split = {}
    for uid, components in groups.items():
        one = icalendar.Calendar()
        for name in CALENDAR_PROPERTIES:
            if name in calendar:
                one.add(name, calendar[name])
        for component in (*zones, *components):
            one.add_component(component)
        split[uid] = one.to_ical()
    return split


def content(data: bytes) -> list[tuple[str, tuple[tuple[str, str, bytes], ...]]]:
    """What a calendar says, whatever the order of its properties and components and the case of its names."""

    def properties(component: Any) -> tuple[tuple[str, str, bytes], ...]:
        return tuple(
            sorted(
                (name.upper(), repr(sorted((k.upper(), str(v)) for k, v in value.params.items())), value.to_ical())
                for name, values in component.items()
                for value in (values if isinstance(values, list) else [values])
            )
        )

    return sorted((str(c.name), properties(c)) for c in icalendar.Calendar.from_ical(data).walk())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Radicale:
    """A Radicale CalDAV server in a child process: ``with Radicale(folder) as server: ...``."""

    USER = "clinic"

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        # Any name signs in (authentication "none"); signing in creates the user's home collection.
        token = base64.b64encode(f"{self.USER}:-".encode()).decode("ascii")
        self.headers = {"Authorization": f"Basic {token}"}

    def __enter__(self) -> Radicale:
        config = self.folder / "config"
        config.write_text(
            "[server]\n"
            f"hosts = 127.0.0.1:{self.port}\n"
            "[auth]\ntype = none\n"
            "[rights]\ntype = authenticated\n"
            f"[storage]\nfilesystem_folder = {self.folder / 'collections'}\n"
            "[web]\ntype = none\n"
            "[logging]\nlevel = warning\n",
            encoding="utf-8",
        )
        self.process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + START_SECONDS
        while True:
            if self.process.poll() is not None:
                output = self.process.communicate()[0].decode(errors="replace")
                raise RuntimeError(f"Radicale exited with {self.process.returncode}:\n{output}")
            try:
                status, _ = self.request("OPTIONS", "/")
            except OSError:
                if time.monotonic() > deadline:
                    self.__exit__(None, None, None)
                    raise TimeoutError(f"Radicale did not answer on port {self.port}") from None
                time.sleep(0.05)
            else:
                assert status == 200
                return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
        self.process = None

    def request(self, method: str, path: str, body: bytes | None = None, **headers: str) -> tuple[int, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers={**self.headers, **headers})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def new_calendar(self, name: str) -> str:
        path = f"/{self.USER}/{name}/"
        status, said = self.request("MKCALENDAR", path)
        assert status == 201, (status, said)
        return path


def store_on(server: Radicale, data: bytes, *, calendar: str) -> dict[str, bytes]:
    """PUT each event of ``data`` into a new calendar on ``server``, then GET each back; what came back, by UID.

    Fails unless every PUT is created (201) or replaces (204) and every GET says
    what was put, property by property.
    """
    collection = server.new_calendar(calendar)
    stored = {}
    for uid, body in by_uid(data).items():
        path = f"{collection}{quote(uid, safe='')}.ics"
        status, said = server.request("PUT", path, body, **{"Content-Type": "text/calendar; charset=utf-8"})
        assert status in (201, 204), (uid, status, said)
        status, back = server.request("GET", path)
        assert status == 200, (uid, status)
        assert content(back) == content(body), uid
        stored[uid] = back
    return stored
