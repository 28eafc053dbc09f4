"""The record of a batch's finished photos (``progress.jsonl``), appended as results arrive.

One JSON object a line, keyed by the photo's SHA-256 and its path: a photo that
is edited gets a new key and is analysed again, a rerun of the same batch skips
what is done. Each line is written whole and flushed at once, so a batch that is
killed loses at most the photos that were still being analysed; a line cut short
by the kill is ignored when the file is read back.

Statuses: ``measured`` (the analysis has metrics), ``refused`` (the photo itself
is the problem: not an image, truncated, no usable face; analysing it again would
give the same answer) and ``error`` (the analysis failed in the worker; a rerun
tries again).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

Status = Literal["measured", "refused", "error"]
FINAL_STATUSES: frozenset[str] = frozenset({"measured", "refused"})


@dataclass(frozen=True)
class PhotoResult:
    path: str
    sha256: str
    status: Status
    reason: str = ""
    analysis: dict[str, Any] | None = None  # ``Analysis.to_dict()``, when the photo was decoded

    @property
    def key(self) -> tuple[str, str]:
        return (self.sha256, self.path)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "status": self.status,
            "reason": self.reason,
            "analysis": self.analysis,
        }


class ProgressLog:
    """Read what earlier runs finished; append what this run finishes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.results: dict[tuple[str, str], PhotoResult] = {}
        self.unreadable_lines = 0
        if path.exists():
            for result in self._read():
                self.results[result.key] = result  # the latest line for a key wins (a retried error)
        self._handle: IO[str] | None = None

    def _read(self) -> Iterator[PhotoResult]:
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                try:
                    data = json.loads(line)
                    yield PhotoResult(
                        path=data["path"],
                        sha256=data["sha256"],
                        status=data["status"],
                        reason=data.get("reason", ""),
                        analysis=data.get("analysis"),
                    )
                except (ValueError, KeyError, TypeError):
                    self.unreadable_lines += 1  # cut short by a kill while it was written

    def is_done(self, key: tuple[str, str]) -> bool:
        result = self.results.get(key)
        return result is not None and result.status in FINAL_STATUSES

    def append(self, result: PhotoResult) -> None:
        if self._handle is None:
            self._handle = self._open_for_append()
        self._handle.write(json.dumps(result.to_dict(), allow_nan=False, ensure_ascii=False) + "\n")
        self._handle.flush()
        self.results[result.key] = result

    def _open_for_append(self) -> IO[str]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a", encoding="utf-8")
        # A line cut short by a kill must not swallow the next one.
        if handle.tell() > 0 and _last_byte(self.path) != b"\n":
            handle.write("\n")
        return handle

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> ProgressLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _last_byte(path: Path) -> bytes:
    with path.open("rb") as handle:
        handle.seek(-1, 2)
        return handle.read(1)
