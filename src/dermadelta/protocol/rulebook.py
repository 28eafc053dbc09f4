"""Load the protocol knowledge (zones, concerns, devices, screening, care) from TOML.

The knowledge is data that a practitioner can read and change: one TOML file per
kind under ``dermadelta/protocol/rules/``. Loading checks both syntax (tomllib
reports the line) and meaning (unknown zones, min above max, missing sources); a
bad file is refused with :class:`~dermadelta.errors.InputError` naming the file,
the line and the reason, never half-loaded.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from dermadelta.errors import InputError

_T = TypeVar("_T")

OUTCOMES = ("go", "caution", "defer", "refer")
QUESTION_TYPES = ("boolean", "date", "choice", "integer", "zones", "zone_dates")
REGIONS = ("face", "body")
PHASES = ("pre", "post")
#: What a screening finding may change in the plan.
PLAN_EFFECTS = ("conservative_depth",)

#: The kinds of table a rules file may hold, and the file each ships in.
KIND_FILES = {
    "zone": "zones.toml",
    "device": "devices.toml",
    "concern": "concerns.toml",
    "addon": "addons.toml",
    "question": "screening.toml",
    "rule": "screening.toml",
    "session": "care.toml",
    "depth_band": "care.toml",
    "task": "care.toml",
    "timeline": "timeline.toml",
    "source": "sources.toml",
}
#: Kinds that are one table (``[session]``) rather than a table of named tables.
SINGLE_KINDS = ("session", "timeline")


@dataclass(frozen=True)
class Source:
    """A public source the rules cite: ``cite`` is how a rule names it, ``reference`` the full reference."""

    id: str
    cite: str
    reference: str


@dataclass(frozen=True)
class Zone:
    id: str
    label: str
    region: str
    min_mm: float
    max_mm: float
    source: str


@dataclass(frozen=True)
class Device:
    id: str
    label: str
    max_mm: float
    professional: bool
    source: str


@dataclass(frozen=True)
class Concern:
    id: str
    label: str
    min_mm: float
    max_mm: float
    zones: tuple[str, ...]
    sessions_min: int
    sessions_max: int
    sessions_default: int
    interval_weeks_min: int
    interval_weeks_max: int
    maintenance_months_min: int
    maintenance_months_max: int
    outcome: str
    addons: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Addon:
    id: str
    label: str
    concerns: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    type: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rule:
    """One screening rule: a condition on one question and the outcome it gives."""

    id: str
    question: str
    outcome: str
    reason: str
    source: str
    equals: bool | None = None
    any_of: tuple[str, ...] = ()
    below: int | None = None
    washout_months: int = 0
    washout_days: int = 0
    reassess_days: int | None = None
    plan_effect: str | None = None


@dataclass(frozen=True)
class SessionTiming:
    numbing_minutes: int
    treatment_minutes: int
    start_time: str
    reminder_time: str
    source: str


@dataclass(frozen=True)
class DepthBand:
    id: str
    max_mm: float
    redness_days: int
    flaking_first_day: int
    flaking_last_day: int
    extra_days: int
    source: str


@dataclass(frozen=True)
class CareTask:
    id: str
    phase: str
    first_day: int
    last_day: int
    title: str
    detail: str
    source: str
    depth_extends: bool = False
    depth_shifts: bool = False
    min_mm: float = 0.0


@dataclass(frozen=True)
class Timeline:
    """Day ranges (inclusive) of what a patient sees after one session."""

    redness_days: tuple[int, int]
    flaking_days: tuple[int, int]
    visible_days: tuple[int, int]
    collagen_peak_days: tuple[int, int]
    full_results_days: tuple[int, int]
    maintenance_months: tuple[int, int]
    source: str


@dataclass(frozen=True)
class RuleBook:
    """All protocol knowledge, validated; look-ups by id keep file order."""

    zones: Mapping[str, Zone]
    devices: Mapping[str, Device]
    concerns: Mapping[str, Concern]
    addons: Mapping[str, Addon]
    questions: Mapping[str, Question]
    rules: Mapping[str, Rule]
    session: SessionTiming
    depth_bands: tuple[DepthBand, ...]
    tasks: Mapping[str, CareTask]
    timeline: Timeline
    #: The public sources the rules cite, for a list of sources.
    sources: Mapping[str, Source]
    #: A digest of the rules files the book was read from: a plan records it, so a
    #: change of rules is seen (and re-planning is an explicit act), never silent.
    version: str = ""

    def zone(self, zone_id: str) -> Zone:
        return _lookup(self.zones, zone_id, "zone")

    def zone_label(self, zone_id: str) -> str:
        """A zone's name for people ("Left cheek"); a zone since removed from the rules reads "left cheek"."""
        zone = self.zones.get(zone_id)
        return zone.label if zone else _words(zone_id)

    def concern_label(self, concern_id: str) -> str:
        concern = self.concerns.get(concern_id)
        return concern.label if concern else _words(concern_id)

    def addon_label(self, addon_id: str) -> str:
        addon = self.addons.get(addon_id)
        return addon.label if addon else _words(addon_id)

    def sources_cited_by(self, citations: Iterable[str]) -> list[Source]:
        """The listed sources that any of ``citations`` (rules' ``source`` texts) names, in list order."""
        text = "\n".join(citations)
        return [source for source in self.sources.values() if source.cite in text]

    def concern(self, concern_id: str) -> Concern:
        return _lookup(self.concerns, concern_id, "concern")

    def device(self, device_id: str) -> Device:
        return _lookup(self.devices, device_id, "device")

    def addon(self, addon_id: str) -> Addon:
        return _lookup(self.addons, addon_id, "add-on")

    def depth_band(self, depth_mm: float) -> DepthBand:
        """The first band deep enough for ``depth_mm`` (bands are sorted by depth)."""
        for band in self.depth_bands:
            if depth_mm <= band.max_mm + 1e-9:
                return band
        return self.depth_bands[-1]


def _words(code: str) -> str:
    return code.replace("_", " ")


def _lookup(table: Mapping[str, _T], key: str, what: str) -> _T:
    try:
        return table[key]
    except KeyError:
        known = ", ".join(table)
        raise InputError(f"unknown {what} {key!r} (known: {known})") from None


# --- reading files -----------------------------------------------------------


@dataclass(frozen=True)
class _Source:
    """A parsed rules file with its text, to point errors at a line."""

    path: str
    text: str
    data: Mapping[str, Any]

    def line_of(self, kind: str, name: str | None = None, key: str | None = None) -> int:
        lines = self.text.splitlines()
        header = re.escape(kind) + (r"\s*\.\s*\"?" + re.escape(name) + '"?' if name else "")
        start = _find_line(lines, re.compile(r"^\s*\[\s*" + header + r"\s*\]"), 0)
        if start is None:
            return 1
        if key is not None:
            pattern = re.compile(r"^\s*\"?" + re.escape(key) + r"\"?\s*=")
            for index in range(start + 1, len(lines)):
                if lines[index].lstrip().startswith("["):
                    break
                if pattern.match(lines[index]):
                    return index + 1
        return start + 1

    def error(self, reason: str, kind: str, name: str | None = None, key: str | None = None) -> InputError:
        return InputError(f"{self.path}:{self.line_of(kind, name, key)}: {reason}")


def _find_line(lines: Sequence[str], pattern: re.Pattern[str], start: int) -> int | None:
    for index in range(start, len(lines)):
        if pattern.match(lines[index]):
            return index
    return None


_TOML_LINE = re.compile(r"at line (\d+)")


def _parse(path: str, text: str) -> _Source:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = _TOML_LINE.search(str(error))
        line = match.group(1) if match else "1"
        reason = _TOML_LINE.sub("", str(error)).replace("(, column", "(column").strip()
        raise InputError(f"{path}:{line}: malformed TOML: {reason}") from None
    for kind in data:
        if kind not in KIND_FILES:
            raise _Source(path, text, data).error(
                f"unknown table [{kind}] (expected one of: {', '.join(sorted(KIND_FILES))})", kind
            )
    return _Source(path, text, data)


def _read(path: Path) -> _Source:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read rules file {path}: {error.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}:1: rules file is not UTF-8 text") from None
    return _parse(str(path), text)


# --- typed fields --------------------------------------------------------------


class _Fields:
    """Typed access to one table's keys; every problem is reported at its line."""

    def __init__(self, source: _Source, kind: str, name: str | None, table: Any) -> None:
        self.source, self.kind, self.name = source, kind, name
        if not isinstance(table, dict):
            raise source.error(f"{self._where()} must be a table", kind, name)
        self.table: dict[str, Any] = table
        self.used: set[str] = set()

    def _where(self) -> str:
        return f"[{self.kind}.{self.name}]" if self.name else f"[{self.kind}]"

    def fail(self, reason: str, key: str | None = None) -> InputError:
        return self.source.error(f"{self._where()} {reason}", self.kind, self.name, key)

    def _get(self, key: str, default: Any) -> Any:
        self.used.add(key)
        if key not in self.table:
            if default is _REQUIRED:
                raise self.fail(f"is missing {key!r}")
            return default
        return self.table[key]

    def text(self, key: str, default: Any = None) -> str:
        value = self._get(key, _REQUIRED if default is None else default)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{key} must be non-empty text", key)
        return value

    def citation(self, key: str) -> str:
        """A ``source``: readable citations, never a file name or a design note (people read it)."""
        value = self.text(key)
        named = not_a_citation(value)
        if named:
            raise self.fail(f"{key} {named}", key)
        return value

    def integer(self, key: str, default: Any = None) -> int:
        value = self._get(key, _REQUIRED if default is None else default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(f"{key} must be a whole number", key)
        return value

    def optional_integer(self, key: str) -> int | None:
        return self.integer(key) if key in self.table else None

    def number(self, key: str, default: Any = None) -> float:
        value = self._get(key, _REQUIRED if default is None else default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(f"{key} must be a number", key)
        if not 0 <= value < 100:
            raise self.fail(f"{key} must be between 0 and 100, not {value}", key)
        return float(value)

    def boolean(self, key: str, default: Any = None) -> bool:
        value = self._get(key, _REQUIRED if default is None else default)
        if not isinstance(value, bool):
            raise self.fail(f"{key} must be true or false", key)
        return value

    def words(self, key: str, default: Any = None) -> tuple[str, ...]:
        value = self._get(key, _REQUIRED if default is None else default)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(f"{key} must be a list of names", key)
        return tuple(value)

    def day_range(self, key: str) -> tuple[int, int]:
        value = self._get(key, _REQUIRED)
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            raise self.fail(f"{key} must be a pair of whole numbers [first, last]", key)
        if value[0] > value[1]:
            raise self.fail(f"{key} starts after it ends: {value[0]} > {value[1]}", key)
        return (value[0], value[1])

    def choice(self, key: str, allowed: Sequence[str]) -> str:
        value = self.text(key)
        if value not in allowed:
            raise self.fail(f"{key} must be one of {', '.join(allowed)}, not {value!r}", key)
        return value

    def depth_pair(self) -> tuple[float, float]:
        low, high = self.number("min_mm"), self.number("max_mm")
        if low > high:
            raise self.fail(f"min_mm {low} is above max_mm {high}", "min_mm")
        return low, high

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise self.fail(f"has unknown key {unknown[0]!r}", unknown[0])


_REQUIRED = object()
#: What a citation must not name: a file (seeds/x.txt, notes.md) or the design notes.
_NOT_A_CITATION = re.compile(r"[\w./-]*\.(?:txt|md|py|toml|pdf|html)\b|\bDESIGN\b|\bseeds/", re.IGNORECASE)


def not_a_citation(text: str) -> str:
    """Why ``text`` is not a readable citation (it names a file or the design notes), or ""."""
    named = _NOT_A_CITATION.search(text)
    if named is None:
        return ""
    return f"names {named.group(0)!r}: cite the article's title or its authors, journal and year"


def _named_tables(source: _Source, kind: str) -> Iterable[tuple[str, Any]]:
    tables = source.data.get(kind, {})
    if not isinstance(tables, dict):
        raise source.error(f"[{kind}] must hold named tables like [{kind}.name]", kind)
    for name, table in tables.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise source.error(f"[{kind}.{name}]: names are lower-case letters, digits and underscores", kind, name)
        yield name, table


# --- building each kind ---------------------------------------------------------


def _zones(source: _Source) -> dict[str, Zone]:
    zones = {}
    for name, table in _named_tables(source, "zone"):
        f = _Fields(source, "zone", name, table)
        low, high = f.depth_pair()
        zones[name] = Zone(name, f.text("label"), f.choice("region", REGIONS), low, high, f.citation("source"))
        f.finish()
    return zones


def _devices(source: _Source) -> dict[str, Device]:
    devices = {}
    for name, table in _named_tables(source, "device"):
        f = _Fields(source, "device", name, table)
        devices[name] = Device(
            name, f.text("label"), f.number("max_mm"), f.boolean("professional"), f.citation("source")
        )
        f.finish()
    return devices


def _concerns(source: _Source) -> dict[str, Concern]:
    concerns = {}
    for name, table in _named_tables(source, "concern"):
        f = _Fields(source, "concern", name, table)
        low, high = f.depth_pair()
        concern = Concern(
            id=name,
            label=f.text("label"),
            min_mm=low,
            max_mm=high,
            zones=f.words("zones"),
            sessions_min=f.integer("sessions_min"),
            sessions_max=f.integer("sessions_max"),
            sessions_default=f.integer("sessions_default"),
            interval_weeks_min=f.integer("interval_weeks_min"),
            interval_weeks_max=f.integer("interval_weeks_max"),
            maintenance_months_min=f.integer("maintenance_months_min"),
            maintenance_months_max=f.integer("maintenance_months_max"),
            outcome=f.text("outcome"),
            addons=f.words("addons", []),
            source=f.citation("source"),
        )
        f.finish()
        if not 1 <= concern.sessions_min <= concern.sessions_default <= concern.sessions_max <= 12:
            raise f.fail("needs 1 <= sessions_min <= sessions_default <= sessions_max <= 12", "sessions_min")
        if not 1 <= concern.interval_weeks_min <= concern.interval_weeks_max:
            raise f.fail("needs 1 <= interval_weeks_min <= interval_weeks_max", "interval_weeks_min")
        if not 1 <= concern.maintenance_months_min <= concern.maintenance_months_max:
            raise f.fail(
                "needs 1 <= maintenance_months_min <= maintenance_months_max",
                "maintenance_months_min",
            )
        if not concern.zones:
            raise f.fail("must list at least one zone", "zones")
        concerns[name] = concern
    return concerns


def _addons(source: _Source) -> dict[str, Addon]:
    addons = {}
    for name, table in _named_tables(source, "addon"):
        f = _Fields(source, "addon", name, table)
        addons[name] = Addon(name, f.text("label"), f.words("concerns"), f.citation("source"))
        f.finish()
    return addons


def _questions(source: _Source) -> dict[str, Question]:
    questions = {}
    for name, table in _named_tables(source, "question"):
        f = _Fields(source, "question", name, table)
        kind = f.choice("type", QUESTION_TYPES)
        choices = f.words("choices", [])
        if kind == "choice" and not choices:
            raise f.fail("of type choice must list its choices", "type")
        if kind != "choice" and choices:
            raise f.fail("lists choices but is not of type choice", "choices")
        questions[name] = Question(name, f.text("text"), kind, choices)
        f.finish()
    return questions


def _rules(source: _Source) -> dict[str, Rule]:
    rules = {}
    for name, table in _named_tables(source, "rule"):
        f = _Fields(source, "rule", name, table)
        equals = table.get("equals")
        if "equals" in table:
            f.boolean("equals")
        below = f.optional_integer("below")
        rules[name] = Rule(
            id=name,
            question=f.text("question"),
            outcome=f.choice("outcome", OUTCOMES[1:]),
            reason=f.text("reason"),
            source=f.citation("source"),
            equals=equals,
            any_of=f.words("any_of", []),
            below=below,
            washout_months=f.integer("washout_months", 0),
            washout_days=f.integer("washout_days", 0),
            reassess_days=f.optional_integer("reassess_days"),
            plan_effect=f.choice("plan_effect", PLAN_EFFECTS) if "plan_effect" in table else None,
        )
        f.finish()
    return rules


def _session(source: _Source) -> SessionTiming:
    f = _Fields(source, "session", None, source.data["session"])
    timing = SessionTiming(
        f.integer("numbing_minutes"),
        f.integer("treatment_minutes"),
        f.text("start_time"),
        f.text("reminder_time"),
        f.citation("source"),
    )
    for key in ("start_time", "reminder_time"):
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", getattr(timing, key)):
            raise f.fail(f"{key} must be a time HH:MM", key)
    f.finish()
    return timing


def _depth_bands(source: _Source) -> tuple[DepthBand, ...]:
    bands: list[DepthBand] = []
    for name, table in _named_tables(source, "depth_band"):
        f = _Fields(source, "depth_band", name, table)
        band = DepthBand(
            name,
            f.number("max_mm"),
            f.integer("redness_days"),
            f.integer("flaking_first_day"),
            f.integer("flaking_last_day"),
            f.integer("extra_days"),
            f.citation("source"),
        )
        f.finish()
        if not 0 <= band.flaking_first_day <= band.flaking_last_day:
            raise f.fail("needs 0 <= flaking_first_day <= flaking_last_day", "flaking_first_day")
        if band.redness_days < 0 or band.extra_days < 0:
            raise f.fail("redness_days and extra_days cannot be negative", "redness_days")
        if bands and band.max_mm <= bands[-1].max_mm:
            raise f.fail("depth bands must be listed from shallow to deep", "max_mm")
        bands.append(band)
    if not bands:
        raise source.error("no [depth_band.*] tables", "depth_band")
    return tuple(bands)


def _tasks(source: _Source) -> dict[str, CareTask]:
    tasks = {}
    for name, table in _named_tables(source, "task"):
        f = _Fields(source, "task", name, table)
        task = CareTask(
            id=name,
            phase=f.choice("phase", PHASES),
            first_day=f.integer("first_day"),
            last_day=f.integer("last_day"),
            title=f.text("title"),
            detail=f.text("detail"),
            source=f.citation("source"),
            depth_extends=f.boolean("depth_extends", False),
            depth_shifts=f.boolean("depth_shifts", False),
            min_mm=f.number("min_mm", 0.0),
        )
        f.finish()
        if task.first_day > task.last_day:
            raise f.fail(f"first_day {task.first_day} is after last_day {task.last_day}", "first_day")
        if task.depth_extends and task.depth_shifts:
            raise f.fail("a task either extends (ends later) or shifts with depth, not both", "depth_shifts")
        if task.phase == "pre" and task.last_day > 0:
            raise f.fail("a pre-care task must end by the session day (last_day <= 0)", "last_day")
        if task.phase == "post" and task.first_day < 0:
            raise f.fail("an aftercare task cannot start before the session (first_day >= 0)", "first_day")
        tasks[name] = task
    return tasks


def _sources(source: _Source) -> dict[str, Source]:
    sources = {}
    for name, table in _named_tables(source, "source"):
        f = _Fields(source, "source", name, table)
        sources[name] = Source(name, f.citation("cite"), f.citation("reference"))
        f.finish()
    return sources


def _timeline(source: _Source) -> Timeline:
    f = _Fields(source, "timeline", None, source.data["timeline"])
    timeline = Timeline(
        f.day_range("redness_days"),
        f.day_range("flaking_days"),
        f.day_range("visible_days"),
        f.day_range("collagen_peak_days"),
        f.day_range("full_results_days"),
        f.day_range("maintenance_months"),
        f.citation("source"),
    )
    f.finish()
    return timeline


# --- cross-references ------------------------------------------------------------


def _check_references(book: RuleBook, owner: Mapping[str, _Source]) -> None:
    def fail(kind: str, name: str, key: str, reason: str) -> InputError:
        return owner[kind].error(f"[{kind}.{name}] {reason}", kind, name, key)

    for concern in book.concerns.values():
        for zone in concern.zones:
            if zone not in book.zones:
                raise fail("concern", concern.id, "zones", f"references unknown zone {zone!r}")
        for addon_id in concern.addons:
            if addon_id not in book.addons:
                raise fail("concern", concern.id, "addons", f"references unknown add-on {addon_id!r}")
    for addon in book.addons.values():
        for concern_id in addon.concerns:
            if concern_id not in book.concerns:
                raise fail("addon", addon.id, "concerns", f"references unknown concern {concern_id!r}")
    for rule in book.rules.values():
        question = book.questions.get(rule.question)
        if question is None:
            raise fail("rule", rule.id, "question", f"references unknown question {rule.question!r}")
        reason = _rule_shape_problem(rule, question)
        if reason:
            raise fail("rule", rule.id, "question", reason)
    if book.depth_bands[-1].max_mm < max(d.max_mm for d in book.devices.values()):
        raise owner["depth_band"].error(
            "the deepest depth band must cover the deepest device",
            "depth_band",
            book.depth_bands[-1].id,
        )


def _rule_shape_problem(rule: Rule, question: Question) -> str | None:
    """Why a rule's condition does not fit its question's type, or None."""
    washout = rule.washout_months or rule.washout_days
    if question.type == "boolean" and rule.equals is None:
        return f"reads boolean question {question.id!r} but has no 'equals'"
    if question.type == "choice":
        if not rule.any_of:
            return f"reads choice question {question.id!r} but has no 'any_of'"
        unknown = [c for c in rule.any_of if c not in question.choices]
        if unknown:
            return f"any_of has {unknown[0]!r}, not a choice of question {question.id!r}"
    if question.type == "integer" and rule.below is None:
        return f"reads integer question {question.id!r} but has no 'below'"
    if question.type in ("date", "zone_dates") and not washout:
        return f"reads date question {question.id!r} but has no washout_months or washout_days"
    if question.type not in ("date", "zone_dates") and washout:
        return f"has a washout but question {question.id!r} is not a date"
    if rule.reassess_days is not None and rule.outcome != "defer":
        return "has reassess_days but its outcome is not defer"
    return None


# --- public entry points ---------------------------------------------------------


def packaged_rules_dir() -> Path:
    """The folder of rules files shipped with the package."""
    return Path(str(resources.files("dermadelta.protocol") / "rules"))


def load_rulebook(overrides: Sequence[str | Path] = ()) -> RuleBook:
    """Load the packaged rules, with each kind found in ``overrides`` replacing its default.

    A file given in ``overrides`` replaces every kind of table it holds (a
    ``zones.toml`` of your own replaces all zones); the other kinds keep the
    packaged data. The merged rule book is validated as a whole.
    """
    if not overrides:
        return _default_rulebook()
    extra = [_read(Path(p)) for p in overrides]
    for source in extra:
        if not source.data:
            raise InputError(f"{source.path}:1: the file defines no rules tables")
    return _build([*_packaged_sources(), *extra])


@lru_cache(maxsize=1)
def _default_rulebook() -> RuleBook:
    return _build(_packaged_sources())


def _packaged_sources() -> list[_Source]:
    folder = packaged_rules_dir()
    return [_read(folder / name) for name in sorted(set(KIND_FILES.values()))]


def _build(sources: Sequence[_Source]) -> RuleBook:
    owner: dict[str, _Source] = {}
    # Later sources win per kind: an override file replaces the packaged kind.
    overridden: dict[str, _Source] = {}
    for source in sources:
        for kind in source.data:
            overridden[kind] = source
    for kind in KIND_FILES:
        if kind not in overridden:
            raise InputError(f"no rules file defines [{kind}] tables")
        owner[kind] = overridden[kind]
    book = RuleBook(
        zones=_zones(_only(owner["zone"], "zone")),
        devices=_devices(_only(owner["device"], "device")),
        concerns=_concerns(_only(owner["concern"], "concern")),
        addons=_addons(_only(owner["addon"], "addon")),
        questions=_questions(_only(owner["question"], "question")),
        rules=_rules(_only(owner["rule"], "rule")),
        session=_session(owner["session"]),
        depth_bands=_depth_bands(_only(owner["depth_band"], "depth_band")),
        tasks=_tasks(_only(owner["task"], "task")),
        timeline=_timeline(owner["timeline"]),
        sources=_sources(_only(owner["source"], "source")),
        version=_version(owner.values()),
    )
    for kind in ("zone", "device", "concern", "question", "source"):
        if not getattr(book, kind + "s" if kind != "question" else "questions"):
            raise owner[kind].error(f"no [{kind}.*] tables", kind)
    _check_references(book, owner)
    return book


def _version(sources: Iterable[_Source]) -> str:
    """``sha256:`` and the first 16 hex digits of a digest of the files' names and texts (not their folders)."""
    digest = hashlib.sha256()
    files = {(Path(source.path).name, source.text) for source in sources}
    for name, text in sorted(files):
        digest.update(f"{name}\0{text}\0".encode())
    return f"sha256:{digest.hexdigest()[:16]}"


def _only(source: _Source, kind: str) -> _Source:
    """The source restricted to one kind, so each builder sees its own tables."""
    return _Source(source.path, source.text, {kind: source.data[kind]})
