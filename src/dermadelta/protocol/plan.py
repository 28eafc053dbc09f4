"""Treatment plans: sessions, spacing, needle depth per zone, add-ons, maintenance, dates.

Depths come from the overlap of each concern's usual range with the zone's and
the device's caps (``rules/*.toml``); a plan never goes deeper than a cap and
never spaces sessions closer than the slowest concern's minimum interval. Dates
fall on the clinic's working days, after any screening washout, and around a
patient's event when one is given.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from dermadelta.errors import InputError
from dermadelta.protocol.rulebook import RuleBook, SessionTiming, load_rulebook
from dermadelta.protocol.screening import VERDICT_LABELS, Screening, add_months

#: Depths are set in 0.05 mm steps (the finest pen setting) and always rounded down.
DEPTH_STEP_MM = 0.05
#: Sessions over which depth climbs from the low to the high end of the range.
RAMP_SESSIONS = 3
MONDAY_TO_FRIDAY = (0, 1, 2, 3, 4)

_V = TypeVar("_V")


@dataclass(frozen=True)
class Target:
    """A concern to treat and the zones to treat it in."""

    concern: str
    zones: tuple[str, ...]


@dataclass(frozen=True)
class ZoneDepth:
    zone: str
    concerns: tuple[str, ...]
    depth_mm: float
    cap_mm: float


@dataclass(frozen=True)
class Session:
    number: int
    date: dt.date
    depths: tuple[ZoneDepth, ...]
    addons: tuple[str, ...]

    @property
    def max_depth_mm(self) -> float:
        return max(d.depth_mm for d in self.depths)


@dataclass(frozen=True)
class EventFit:
    event: dt.date
    feasible: bool
    reason: str
    latest_last_session: dt.date


@dataclass(frozen=True)
class Plan:
    targets: tuple[Target, ...]
    device: str
    sessions: tuple[Session, ...]
    min_interval_days: int
    interval_days: int
    maintenance_from: dt.date
    maintenance_until: dt.date
    not_before: dt.date
    working_days: tuple[int, ...]
    notes: tuple[str, ...]
    event_fit: EventFit | None = None
    #: The rule book the plan was made under (:attr:`RuleBook.version`); "" when not recorded.
    rules_version: str = ""
    #: The session timing the plan was made with (start time, numbing, reminders); None: not recorded.
    timing: SessionTiming | None = None

    @property
    def zones(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(z for t in self.targets for z in t.zones))

    def to_dict(self) -> dict[str, Any]:
        fit = self.event_fit
        return {
            "schema": "dermadelta.plan/1",
            "device": self.device,
            "targets": [{"concern": t.concern, "zones": list(t.zones)} for t in self.targets],
            "min_interval_days": self.min_interval_days,
            "interval_days": self.interval_days,
            "not_before": self.not_before.isoformat(),
            "sessions": [
                {
                    "number": s.number,
                    "date": s.date.isoformat(),
                    "max_depth_mm": s.max_depth_mm,
                    "addons": list(s.addons),
                    "depths": [
                        {
                            "zone": d.zone,
                            "concerns": list(d.concerns),
                            "depth_mm": d.depth_mm,
                            "cap_mm": d.cap_mm,
                        }
                        for d in s.depths
                    ],
                }
                for s in self.sessions
            ],
            "maintenance": {
                "from": self.maintenance_from.isoformat(),
                "until": self.maintenance_until.isoformat(),
            },
            "event": None
            if fit is None
            else {
                "date": fit.event.isoformat(),
                "feasible": fit.feasible,
                "reason": fit.reason,
                "latest_last_session": fit.latest_last_session.isoformat(),
            },
            "notes": list(self.notes),
            "working_days": list(self.working_days),
            "rules_version": self.rules_version,
            "session_timing": None if self.timing is None else _timing_dict(self.timing),
        }

    @classmethod
    def from_dict(cls, data: Any) -> Plan:
        """The plan a ``dermadelta.plan/1`` object (as :meth:`to_dict` wrote it) stands for.

        Fields added to the schema later (``working_days``, ``rules_version``,
        ``session_timing``) may be missing from plans stored before them: Monday to
        Friday, "" and None. Anything else missing or malformed raises
        :class:`InputError` saying what, never a half-read plan.
        """
        read = _Reader(data, "the plan")
        if read.value("schema", str) != "dermadelta.plan/1":
            raise InputError("the stored plan is not a dermadelta.plan/1 object")
        sessions = tuple(_session_from(row, index) for index, row in enumerate(read.items("sessions"), start=1))
        if not sessions:
            raise InputError("the stored plan has no sessions")
        maintenance = _Reader(read.value("maintenance", dict), "the plan's maintenance")
        event = data.get("event")
        timing = data.get("session_timing")
        return cls(
            targets=tuple(
                Target(r.value("concern", str), tuple(r.strings("zones")))
                for r in (_Reader(t, "a target of the plan") for t in read.items("targets"))
            ),
            device=read.value("device", str),
            sessions=sessions,
            min_interval_days=read.count("min_interval_days"),
            interval_days=read.count("interval_days"),
            maintenance_from=maintenance.date("from"),
            maintenance_until=maintenance.date("until"),
            not_before=read.date("not_before"),
            working_days=tuple(read.counts("working_days")) if "working_days" in data else MONDAY_TO_FRIDAY,
            notes=tuple(read.strings("notes")),
            event_fit=None if event is None else _event_from(event),
            rules_version=read.value("rules_version", str) if "rules_version" in data else "",
            timing=None if timing is None else _timing_from(timing),
        )


def _timing_dict(timing: SessionTiming) -> dict[str, Any]:
    return {
        "numbing_minutes": timing.numbing_minutes,
        "treatment_minutes": timing.treatment_minutes,
        "start_time": timing.start_time,
        "reminder_time": timing.reminder_time,
        "source": timing.source,
    }


_KINDS = {str: "text", int: "a whole number", bool: "true or false", list: "a list", dict: "an object"}


class _Reader:
    """Typed reads off one JSON object of a stored plan; a wrong or missing field is an InputError naming it."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, Mapping):
            raise InputError(f"the stored plan cannot be read: {where} is not an object")
        self.data, self.where = data, where

    def _fail(self, key: str, what: str) -> InputError:
        return InputError(f"the stored plan cannot be read: {key!r} of {self.where} {what}")

    def value(self, key: str, kind: type[_V]) -> _V:
        if key not in self.data:
            raise self._fail(key, "is missing")
        value = self.data[key]
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise self._fail(key, f"is not {_KINDS.get(kind, kind.__name__)}")
        return value

    def count(self, key: str) -> int:
        value = self.value(key, int)
        if value < 0:
            raise self._fail(key, "is negative")
        return value

    def number(self, key: str) -> float:
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise self._fail(key, "is not a number of millimetres")
        return float(value)

    def date(self, key: str) -> dt.date:
        try:
            return dt.date.fromisoformat(self.value(key, str))
        except ValueError:
            raise self._fail(key, "is not a date") from None

    def items(self, key: str) -> list[Any]:
        return self.value(key, list)

    def strings(self, key: str) -> list[str]:
        values = self.items(key)
        if not all(isinstance(v, str) for v in values):
            raise self._fail(key, "holds something other than text")
        return values

    def counts(self, key: str) -> list[int]:
        values = self.items(key)
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values):
            raise self._fail(key, "holds something other than whole numbers")
        return values


def _session_from(data: Any, index: int) -> Session:
    read = _Reader(data, f"session row {index}")
    number = read.count("number")
    depths = []
    for row in read.items("depths"):
        depth = _Reader(row, f"a depth of session {number}")
        depths.append(
            ZoneDepth(
                depth.value("zone", str),
                tuple(depth.strings("concerns")),
                depth.number("depth_mm"),
                depth.number("cap_mm"),
            )
        )
    if number < 1 or not depths:
        raise InputError(f"the stored plan cannot be read: session row {index} has no number or no depths")
    return Session(number, read.date("date"), tuple(depths), tuple(read.strings("addons")))


def _event_from(data: Any) -> EventFit:
    read = _Reader(data, "the plan's event")
    return EventFit(
        read.date("date"), read.value("feasible", bool), read.value("reason", str), read.date("latest_last_session")
    )


def _timing_from(data: Any) -> SessionTiming:
    read = _Reader(data, "the plan's session timing")
    return SessionTiming(
        read.count("numbing_minutes"),
        read.count("treatment_minutes"),
        read.value("start_time", str),
        read.value("reminder_time", str),
        read.value("source", str),
    )


def parse_targets(specs: Sequence[str], *, rules: RuleBook | None = None) -> tuple[Target, ...]:
    """Targets from ``CONCERN[:ZONE,ZONE]`` strings; no zones means all the concern's zones."""
    book = rules or load_rulebook()
    targets = []
    for spec in specs:
        concern_id, _, zone_text = spec.partition(":")
        concern = book.concern(concern_id.strip())
        zones = tuple(z.strip() for z in zone_text.split(",") if z.strip()) or concern.zones
        targets.append(Target(concern.id, zones))
    return tuple(targets)


def make_plan(
    targets: Sequence[Target],
    *,
    start: dt.date,
    device: str = "pen",
    sessions: int | None = None,
    interval_weeks: int | None = None,
    depth_mm: Mapping[str, float] | None = None,
    addons: Sequence[str] = (),
    conservative: bool = False,
    screening: Screening | None = None,
    working_days: Collection[int] = MONDAY_TO_FRIDAY,
    closed_dates: Collection[dt.date] = (),
    event: dt.date | None = None,
    rules: RuleBook | None = None,
) -> Plan:
    """Plan a series of sessions for ``targets`` starting on or after ``start``.

    ``conservative`` keeps depths in the lower half of each range (advised for
    Fitzpatrick IV-VI, whose post-inflammatory hyperpigmentation risk rises with
    depth). ``depth_mm`` asks for an explicit depth per zone: above a zone's or
    the device's cap it is refused, never silently lowered.
    """
    book = rules or load_rulebook()
    if not targets:
        raise InputError("a plan needs at least one concern")
    kit = book.device(device)
    concerns = [book.concern(t.concern) for t in targets]
    for target, concern in zip(targets, concerns, strict=True):
        for zone in target.zones:
            book.zone(zone)
            if zone not in concern.zones:
                where = ", ".join(book.zone_label(z).lower() for z in concern.zones)
                raise InputError(
                    f"{concern.label} is not treated on the {book.zone_label(zone).lower()} (it is treated on: {where})"
                )
    weekdays = tuple(sorted(set(working_days)))
    if not weekdays or not all(0 <= d <= 6 for d in weekdays):
        raise InputError("working days must be weekday numbers 0 (Monday) to 6 (Sunday)")
    notes: list[str] = []

    not_before = start
    if screening is not None and "conservative_depth" in screening.plan_effects:
        conservative = True
        notes.append("conservative depths (lower half of each range) because of the screening")
    if screening is not None:
        allowed = screening.treatable_from
        if allowed is None:
            raise InputError(
                f"screening verdict is {VERDICT_LABELS[screening.verdict].lower()} without a safe date: "
                "no plan until it is resolved"
            )
        if allowed > start:
            notes.append(f"starts on or after {allowed.isoformat()} because of the screening washout")
        not_before = max(start, allowed)

    min_interval_weeks = max(c.interval_weeks_min for c in concerns)
    if interval_weeks is None:
        interval_weeks = min_interval_weeks
    elif interval_weeks < min_interval_weeks:
        raise InputError(
            f"interval of {interval_weeks} weeks is below the minimum of "
            f"{min_interval_weeks} weeks "
            "(the skin needs that long to heal between sessions)"
        )
    elif interval_weeks > 26:
        raise InputError(f"interval of {interval_weeks} weeks is not a series (at most 26 weeks)")

    n_max = max(c.sessions_max for c in concerns)
    explicit_sessions = sessions is not None
    if sessions is None:
        sessions = max(c.sessions_default for c in concerns)
    elif not 1 <= sessions <= n_max:
        raise InputError(f"sessions must be between 1 and {n_max} for these concerns, not {sessions}")
    n_min = max(c.sessions_min for c in concerns)
    if sessions < n_min:
        notes.append(f"{sessions} sessions is fewer than the usual {n_min}: expect less improvement")

    depth_plan = _depth_plan(targets, book, device=kit.id, explicit=depth_mm or {})
    notes.extend(_held_below_range(depth_plan, book, device=kit.id))
    chosen_addons = _addons(addons, concerns, book, notes)
    closed = frozenset(closed_dates)

    def working_on_or_after(day: dt.date) -> dt.date:
        for _ in range(366):
            if day.weekday() in weekdays and day not in closed:
                return day
            day += dt.timedelta(days=1)
        raise InputError("no working day within a year: check working days and closed dates")

    min_gap = dt.timedelta(weeks=min_interval_weeks)
    gap = dt.timedelta(weeks=interval_weeks)
    dates = _forward(sessions, working_on_or_after(not_before), gap, working_on_or_after)
    fit = None
    if event is not None:
        dates, fit, sessions = _fit_event(
            event,
            dates=dates,
            first=working_on_or_after(not_before),
            gap=gap,
            min_gap=min_gap,
            sessions=sessions,
            fewest=None if explicit_sessions else n_min,
            lead=dt.timedelta(days=book.timeline.visible_days[1]),
            on_or_after=working_on_or_after,
            on_or_before=lambda day: _working_on_or_before(day, weekdays, closed),
        )
        notes.append(fit.reason)

    max_gap = dt.timedelta(weeks=max(c.interval_weeks_max for c in concerns))
    for earlier, later in zip(dates, dates[1:], strict=False):
        if later - earlier > max(max_gap, gap):
            notes.append(
                f"{(later - earlier).days} days between {earlier.isoformat()} "
                f"and {later.isoformat()} "
                "is longer than usual"
            )

    planned = tuple(
        Session(
            number=index + 1,
            date=day,
            depths=tuple(
                ZoneDepth(
                    zone,
                    zone_concerns,
                    _depth_for(low, high, index, sessions, conservative, fixed),
                    cap,
                )
                for zone, zone_concerns, low, high, cap, fixed in depth_plan
            ),
            addons=chosen_addons,
        )
        for index, day in enumerate(dates)
    )
    maintenance_months = (
        max(c.maintenance_months_min for c in concerns),
        max(c.maintenance_months_max for c in concerns),
    )
    last = dates[-1]
    return Plan(
        targets=tuple(targets),
        device=kit.id,
        sessions=planned,
        min_interval_days=min_gap.days,
        interval_days=gap.days,
        maintenance_from=working_on_or_after(add_months(last, maintenance_months[0])),
        maintenance_until=add_months(last, maintenance_months[1]),
        not_before=not_before,
        working_days=weekdays,
        notes=tuple(notes),
        event_fit=fit,
        rules_version=book.version,
        timing=book.session,
    )


_DepthRow = tuple[str, tuple[str, ...], float, float, float, float | None]


def _depth_plan(
    targets: Sequence[Target], book: RuleBook, *, device: str, explicit: Mapping[str, float]
) -> list[_DepthRow]:
    """Per zone: concerns, low and high depth, cap, and an explicit depth if asked for."""
    kit = book.device(device)
    by_zone: dict[str, list[str]] = {}
    for target in targets:
        for zone_id in target.zones:
            by_zone.setdefault(zone_id, []).append(target.concern)
    for asked in explicit:
        if asked not in by_zone:
            raise InputError(f"depth given for the {book.zone_label(asked).lower()}, which is not a treated zone")
    rows: list[_DepthRow] = []
    for zone_id, concern_ids in by_zone.items():
        zone = book.zone(zone_id)
        cap = min(zone.max_mm, kit.max_mm)
        # The deepest concern in a zone sets the range; one depth per zone per pass.
        concern_high = max(book.concern(c).max_mm for c in concern_ids)
        concern_low = max(book.concern(c).min_mm for c in concern_ids)
        high = min(concern_high, cap)
        low = min(max(concern_low, zone.min_mm), high)
        fixed = explicit.get(zone_id)
        if fixed is not None:
            if not math.isfinite(fixed) or fixed <= 0:
                raise InputError(f"depth for the {zone.label.lower()} must be a positive number of millimetres")
            if fixed > cap + 1e-9:
                limit = "zone" if zone.max_mm <= kit.max_mm else "device"
                raise InputError(
                    f"{fixed} mm on the {zone.label.lower()} is above the {limit} cap of {cap} mm "
                    f"({zone.source if limit == 'zone' else kit.source})"
                )
        rows.append((zone_id, tuple(concern_ids), low, high, cap, fixed))
    return rows


def _held_below_range(depth_plan: Sequence[_DepthRow], book: RuleBook, *, device: str) -> list[str]:
    """A note for each zone whose cap keeps a concern below its usual depth range."""
    kit = book.device(device)
    notes = []
    for zone_id, concern_ids, _, _, cap, _ in depth_plan:
        zone = book.zone(zone_id)
        why = (
            "the skin there is too thin to go deeper"
            if zone.max_mm <= kit.max_mm
            else f"the {kit.label.lower()} goes no deeper"
        )
        for concern_id in concern_ids:
            concern = book.concern(concern_id)
            if cap < concern.min_mm - 1e-9:
                notes.append(
                    f"on the {zone.label.lower()}, {concern.label.lower()} is treated at {cap} mm at most, "
                    f"below its usual {concern.min_mm}-{concern.max_mm} mm: {why}"
                )
    return notes


def _depth_for(low: float, high: float, index: int, sessions: int, conservative: bool, fixed: float | None) -> float:
    """Depth for session ``index``: a ramp from ``low`` to ``high`` over the first sessions."""
    if fixed is not None:
        return fixed
    if conservative:
        high = low + (high - low) / 2
    ramp = min(RAMP_SESSIONS, sessions) - 1
    fraction = 1.0 if ramp <= 0 else min(1.0, index / ramp)
    depth = low + (high - low) * fraction
    steps = math.floor(depth / DEPTH_STEP_MM + 1e-9)
    return round(steps * DEPTH_STEP_MM, 2)


def _addons(requested: Sequence[str], concerns: Sequence[Any], book: RuleBook, notes: list[str]) -> tuple[str, ...]:
    concern_ids = {c.id for c in concerns}
    for addon_id in requested:
        addon = book.addon(addon_id)
        if not concern_ids & set(addon.concerns):
            usual = ", ".join(sorted(book.concern_label(c) for c in concern_ids))
            notes.append(f"{addon.label} is not usually used for {usual}")
    suggested = sorted({a for c in concerns for a in c.addons} - set(requested))
    if suggested:
        named = "; ".join(book.addon_label(a) for a in suggested)
        notes.append(f"add-ons often combined with these concerns: {named}")
    return tuple(dict.fromkeys(requested))


def _forward(count: int, first: dt.date, gap: dt.timedelta, on_or_after: Any) -> list[dt.date]:
    dates = [first]
    while len(dates) < count:
        dates.append(on_or_after(dates[-1] + gap))
    return dates


def _working_on_or_before(day: dt.date, weekdays: Sequence[int], closed: Collection[dt.date]) -> dt.date:
    for _ in range(366):
        if day.weekday() in weekdays and day not in closed:
            return day
        day -= dt.timedelta(days=1)
    raise InputError("no working day within a year: check working days and closed dates")


def _fit_event(
    event: dt.date,
    *,
    dates: list[dt.date],
    first: dt.date,
    gap: dt.timedelta,
    min_gap: dt.timedelta,
    sessions: int,
    fewest: int | None,
    lead: dt.timedelta,
    on_or_after: Any,
    on_or_before: Any,
) -> tuple[list[dt.date], EventFit, int]:
    """Dates that finish ``lead`` before ``event``, or the reason they cannot.

    Tries the planned spacing, then the minimum spacing scheduled back from the
    event, then (when the number of sessions was not fixed) fewer sessions. When
    nothing fits, sessions that would fall in the last ``lead`` before the event
    move to after it, so the patient is never red or flaking on the day.
    """
    if event <= first:
        raise InputError(f"event date {event.isoformat()} is not after the first possible session")
    latest = on_or_before(event - lead)
    if dates[-1] <= latest:
        return (
            dates,
            EventFit(
                event,
                True,
                f"last session {dates[-1].isoformat()} leaves {(event - dates[-1]).days} days before the event",
                latest,
            ),
            sessions,
        )
    candidates = [sessions] + ([] if fewest is None else list(range(sessions - 1, fewest - 1, -1)))
    for count in candidates:
        backward = [latest]
        while len(backward) < count:
            backward.insert(0, on_or_before(backward[0] - min_gap))
        if backward[0] >= first:
            reason = (
                f"{count} sessions {min_gap.days} days apart, last on {latest.isoformat()}, "
                f"so that results are visible by the event on {event.isoformat()}"
            )
            if count < sessions:
                reason += f" (reduced from {sessions} sessions to fit)"
            return backward, EventFit(event, True, reason, latest), count
    need = (sessions - 1) * min_gap.days + lead.days
    have = (event - first).days
    reason = (
        f"cannot finish before the event on {event.isoformat()}: {sessions} sessions at least "
        f"{min_gap.days} days apart and {lead.days} days for visible results need {need} days, "
        f"only {have} from the first possible session; sessions in the {lead.days} days before "
        "the event move to after it"
    )
    moved: list[dt.date] = []
    for day in dates:
        if moved and day < moved[-1] + gap:
            day = on_or_after(moved[-1] + gap)
        if latest < day <= event:
            day = on_or_after(event + dt.timedelta(days=1))
        moved.append(day)
    return moved, EventFit(event, False, reason, latest), sessions
