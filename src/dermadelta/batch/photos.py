"""Which photos a batch analyses: every file of a folder, or the rows of a CSV manifest.

A manifest names each photo by a path relative to the manifest's own folder, so a
study folder can move between machines; absolute paths and paths that leave that
folder are refused. Optional research columns (``subject``, ``session``,
``concern``, ``depth_mm``, ``view``) travel with each photo into the results.
Every problem with a row is reported with its line number and the other rows go
on; a manifest that cannot be used at all (no ``path`` column, not text) is an
:class:`~dermadelta.errors.InputError`.
"""

from __future__ import annotations

import csv
import hashlib
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from dermadelta.errors import InputError

RESEARCH_COLUMNS = ("subject", "session", "concern", "depth_mm", "view")
#: Deepest needle a study may record: body work (stretch marks) goes to 2.5 mm.
MAX_DEPTH_MM = 3.0
_HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class PhotoEntry:
    """One photo to analyse and what the study says about it."""

    path: str  # as the study names it: relative to the folder or manifest, "/" between parts
    file: Path  # where it is on this machine
    line: int | None = None  # the manifest's line, None for a folder listing
    subject: str = ""
    session: int | None = None  # 0 = baseline, before any treatment
    concern: str = ""
    depth_mm: float | None = None
    view: str = ""


@dataclass(frozen=True)
class RowProblem:
    """A row (or file) that is not analysed, and why."""

    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.path or '(no path)'}: {self.reason}"


@dataclass(frozen=True)
class PhotoSet:
    base: Path
    entries: tuple[PhotoEntry, ...]
    problems: tuple[RowProblem, ...]


def read_photo_set(source: Path, *, exclude: Path | None = None) -> PhotoSet:
    """The photos of a folder (recursively) or of a ``.csv`` manifest.

    ``exclude`` is a folder never listed (the batch's own output folder, when it
    lies inside the photo folder).
    """
    if source.is_dir():
        return list_folder(source, exclude=exclude)
    if not source.exists():
        raise InputError(f"{source}: no such folder or file")
    if source.suffix.lower() != ".csv":
        raise InputError(f"{source}: give a folder of photos or a .csv manifest")
    return read_manifest(source)


def list_folder(folder: Path, *, exclude: Path | None = None) -> PhotoSet:
    """Every file under ``folder`` in sorted order; hidden files and folders (``.name``) are skipped.

    Whether a file is a photo is decided later, from its content: a file that is
    not one becomes a refused row, so nothing is dropped silently.
    """
    base = folder.resolve()
    skip = exclude.resolve() if exclude is not None else None
    entries: list[PhotoEntry] = []
    problems: list[RowProblem] = []
    for relative, file in sorted((file.relative_to(base).as_posix(), file) for file in _walk(base, skip)):
        reason = _outside_reason(file, base, "folder")
        if reason:
            problems.append(RowProblem(relative, reason))
        else:
            entries.append(PhotoEntry(path=relative, file=file))
    if not entries and not problems:
        raise InputError(f"{folder}: no files in this folder")
    return PhotoSet(base, tuple(entries), tuple(problems))


def _walk(base: Path, skip: Path | None) -> Iterator[Path]:
    for root, folders, files in os.walk(base):
        here = Path(root)
        folders[:] = [f for f in folders if not f.startswith(".") and here / f != skip]
        for name in files:
            if not name.startswith("."):
                yield here / name


def read_manifest(manifest: Path) -> PhotoSet:
    """The rows of a CSV manifest with a ``path`` column, validated row by row."""
    base = manifest.resolve().parent
    try:
        text = manifest.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{manifest}: not a UTF-8 text file; save the manifest as CSV (UTF-8)") from None
    except OSError as error:
        raise InputError(f"{manifest}: cannot be read ({error.strerror or error})") from None
    reader = csv.reader(text.splitlines())
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise InputError(f"{manifest}: empty; the first line must name the columns, 'path' among them") from None
    except csv.Error as error:
        raise InputError(f"{manifest}: not a readable CSV file ({error})") from None
    if "path" not in header:
        raise InputError(f"{manifest}: no 'path' column (columns found: {', '.join(header) or 'none'})")
    duplicated = sorted({name for name in header if name and header.count(name) > 1})
    if duplicated:
        raise InputError(f"{manifest}: column {duplicated[0]!r} appears more than once")
    entries: list[PhotoEntry] = []
    problems: list[RowProblem] = []
    first_line: dict[str, int] = {}
    try:
        for fields in reader:
            line = reader.line_num
            if not any(field.strip() for field in fields):
                continue  # a blank line
            entry_or_problem = _read_row(header, fields, line, base, first_line)
            if isinstance(entry_or_problem, RowProblem):
                problems.append(entry_or_problem)
            else:
                entries.append(entry_or_problem)
                first_line.setdefault(entry_or_problem.path, line)
    except csv.Error as error:
        raise InputError(f"{manifest}: line {reader.line_num}: not readable as CSV ({error})") from None
    if not entries and not problems:
        raise InputError(f"{manifest}: the manifest has no rows")
    return PhotoSet(base, tuple(entries), tuple(problems))


def _read_row(
    header: list[str], fields: list[str], line: int, base: Path, first_line: dict[str, int]
) -> PhotoEntry | RowProblem:
    row = dict(zip(header, (field.strip() for field in fields), strict=False))
    raw_path = row.get("path", "")
    if len(fields) != len(header):
        return RowProblem(raw_path, f"{len(fields)} fields, but the header names {len(header)} columns", line)
    if not raw_path:
        return RowProblem("", "no path", line)
    path, reason = _relative_path(raw_path, base)
    if reason:
        return RowProblem(raw_path, reason, line)
    if path in first_line:
        return RowProblem(path, f"the same photo as line {first_line[path]}", line)
    file = base / path
    reason = _outside_reason(file, base, "manifest's folder") or _file_reason(file)
    if reason:
        return RowProblem(path, reason, line)
    try:
        session = _session(row.get("session", ""))
        depth_mm = _depth_mm(row.get("depth_mm", ""))
    except ValueError as error:
        return RowProblem(path, str(error), line)
    return PhotoEntry(
        path=path,
        file=file.resolve(),
        line=line,
        subject=row.get("subject", ""),
        session=session,
        concern=row.get("concern", ""),
        depth_mm=depth_mm,
        view=row.get("view", ""),
    )


def _relative_path(raw: str, base: Path) -> tuple[str, str]:
    """The path with "/" separators, or a reason it is refused."""
    if PurePosixPath(raw).is_absolute() or PureWindowsPath(raw).is_absolute() or PureWindowsPath(raw).drive:
        return "", "absolute paths are refused; give the path relative to the manifest's folder"
    parts = PureWindowsPath(raw).parts  # accepts both "/" and "\" between parts
    if ".." in parts:
        return "", "'..' in the path would leave the manifest's folder"
    return PurePosixPath(*parts).as_posix(), ""


def _outside_reason(file: Path, base: Path, what: str) -> str:
    # A link may lead anywhere: what counts is where it really points.
    if not file.resolve().is_relative_to(base):
        return f"leads outside the {what} (a link); copy the photo into it"
    return ""


def _file_reason(file: Path) -> str:
    if file.is_dir():
        return "is a folder, not a photo"
    if not file.is_file():
        return "no such file"
    return ""


def _session(raw: str) -> int | None:
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit():
        raise ValueError(f"session must be a whole number, 0 for the baseline before treatment (got {raw!r})")
    return int(raw)


def _depth_mm(raw: str) -> float | None:
    if not raw:
        return None
    try:
        depth = float(raw)
    except ValueError:
        depth = math.nan
    if not (0 < depth <= MAX_DEPTH_MM):
        raise ValueError(f"depth_mm must be a needle depth in mm, above 0 and at most {MAX_DEPTH_MM} (got {raw!r})")
    return depth


def file_sha256(file: Path) -> str:
    """The SHA-256 of a file's content, read in chunks (photos may be large)."""
    digest = hashlib.sha256()
    with file.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
