"""Pre-care and aftercare schedules by day offset, for every session of a plan.

Tasks and depth bands are data (``rules/care.toml``). The deepest needle used in
a session picks its depth band: deeper needles mean longer redness, later
flaking and longer aftercare (2 mm is not 0.5 mm).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dermadelta.errors import InputError
from dermadelta.protocol.plan import Plan
from dermadelta.protocol.rulebook import CareTask, DepthBand, RuleBook, load_rulebook

#: How each kind of care item is named to people (on screen, in calendars), in the order it is listed.
PHASE_LABELS = {"pre": "Before the session", "expect": "What to expect", "post": "Aftercare"}


@dataclass(frozen=True)
class CareItem:
    """One task (or expected sign) for one session, from ``first`` to ``last`` inclusive."""

    session: int
    task_id: str
    phase: str  # "pre", "post" or "expect"
    first: dt.date
    last: dt.date
    title: str
    detail: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "session": self.session,
            "task": self.task_id,
            "phase": self.phase,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "title": self.title,
            "detail": self.detail,
            "source": self.source,
        }


@dataclass(frozen=True)
class SessionCare:
    session: int
    date: dt.date
    depth_mm: float
    band: DepthBand
    items: tuple[CareItem, ...]

    @property
    def downtime_days(self) -> int:
        """Days of visible redness after this session (day 0 is the session)."""
        return self.band.redness_days


@dataclass(frozen=True)
class CareSchedule:
    sessions: tuple[SessionCare, ...]
    #: Plain words on how the care differs from the rule book (pre-care shortened: it would start in the past).
    notes: tuple[str, ...] = ()

    @property
    def items(self) -> tuple[CareItem, ...]:
        return tuple(item for s in self.sessions for item in s.items)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "dermadelta.care/1",
            **({"notes": list(self.notes)} if self.notes else {}),
            "sessions": [
                {
                    "session": s.session,
                    "date": s.date.isoformat(),
                    "depth_mm": s.depth_mm,
                    "depth_band": s.band.id,
                    "band": dataclasses.asdict(s.band),
                    "downtime_days": s.downtime_days,
                    "items": [i.to_dict() for i in s.items],
                }
                for s in self.sessions
            ],
        }

    @classmethod
    def from_dict(cls, data: Any) -> CareSchedule:
        """The schedule a ``dermadelta.care/1`` object (as :meth:`to_dict` wrote it) stands for.

        A stored plan keeps its care this way, so the handout and the calendar stay
        as they were made when the rules change. InputError says what cannot be read.
        """
        if not isinstance(data, Mapping) or data.get("schema") != "dermadelta.care/1":
            raise InputError("the stored care schedule is not a dermadelta.care/1 object")
        try:
            notes = tuple(str(note) for note in data.get("notes", ()))
            return cls(tuple(_session_care_from(row) for row in data["sessions"]), notes)
        except (KeyError, TypeError, ValueError):
            raise InputError("the stored care schedule is incomplete or malformed") from None


def _session_care_from(row: Mapping[str, Any]) -> SessionCare:
    # Only JSON the project wrote comes here: a wrong type surfaces as the TypeError/ValueError caught above.
    band = DepthBand(**row["band"])
    items = tuple(
        CareItem(
            int(i["session"]),
            str(i["task"]),
            str(i["phase"]),
            dt.date.fromisoformat(i["first"]),
            dt.date.fromisoformat(i["last"]),
            str(i["title"]),
            str(i["detail"]),
            str(i["source"]),
        )
        for i in row["items"]
    )
    return SessionCare(int(row["session"]), dt.date.fromisoformat(row["date"]), float(row["depth_mm"]), band, items)


def task_days(task: CareTask, band: DepthBand) -> tuple[int, int]:
    """First and last day offset of ``task`` after depth adjustment."""
    if task.depth_shifts:
        return task.first_day + band.extra_days, task.last_day + band.extra_days
    if task.depth_extends:
        return task.first_day, task.last_day + band.extra_days
    return task.first_day, task.last_day


def session_care(session: int, day: dt.date, depth_mm: float, *, rules: RuleBook | None = None) -> SessionCare:
    """Care for one session on ``day`` whose deepest needle is ``depth_mm``."""
    book = rules or load_rulebook()
    band = book.depth_band(depth_mm)
    items = [
        CareItem(
            session,
            "expect_redness",
            "expect",
            day,
            day + dt.timedelta(days=band.redness_days),
            "Redness like a mild sunburn",
            f"Expected for about {band.redness_days} day(s) at {depth_mm} mm; it fades day by day.",
            band.source,
        ),
        CareItem(
            session,
            "expect_flaking",
            "expect",
            day + dt.timedelta(days=band.flaking_first_day),
            day + dt.timedelta(days=band.flaking_last_day),
            "Dryness and flaking",
            "Normal shedding as the skin renews; moisturise and let it shed.",
            band.source,
        ),
    ]
    for task in book.tasks.values():
        if depth_mm + 1e-9 < task.min_mm:
            continue
        first, last = task_days(task, band)
        items.append(
            CareItem(
                session,
                task.id,
                task.phase,
                day + dt.timedelta(days=first),
                day + dt.timedelta(days=last),
                task.title,
                task.detail,
                task.source,
            )
        )
    items.sort(key=lambda i: (i.first, i.phase != "pre", i.task_id))
    return SessionCare(session, day, depth_mm, band, tuple(items))


def care_schedule(plan: Plan, *, rules: RuleBook | None = None, not_before: dt.date | None = None) -> CareSchedule:
    """Pre-care and aftercare for every session of ``plan``.

    ``not_before`` is the day the plan is made: pre-care never starts before it.
    A pre-care task that would is shortened to start that day, or left out when
    it would have ended before it, and a note says so in plain words (the
    session keeps its date: the practitioner chose it with the patient). A
    session before ``not_before`` is history (a plan recorded afterwards) and
    keeps its care as the rules give it.
    """
    cares = [session_care(s.number, s.date, s.max_depth_mm, rules=rules) for s in plan.sessions]
    if not_before is None:
        return CareSchedule(tuple(cares))
    notes: list[str] = []
    kept = []
    for care in cares:
        items, note = _pre_care_from(care, not_before)
        kept.append(dataclasses.replace(care, items=items))
        if note:
            notes.append(note)
    return CareSchedule(tuple(kept), tuple(notes))


def _pre_care_from(care: SessionCare, day: dt.date) -> tuple[tuple[CareItem, ...], str]:
    """``care``'s items with pre-care starting no earlier than ``day``, and a note naming what was cut."""
    items: list[CareItem] = []
    shortened: list[str] = []
    dropped: list[str] = []
    for item in care.items:
        if item.phase != "pre" or item.first >= day:
            items.append(item)
        elif item.last >= day:
            items.append(dataclasses.replace(item, first=day))
            shortened.append(item.title.lower())
        else:
            dropped.append(item.title.lower())
    if care.date < day or (not shortened and not dropped):
        return care.items, ""
    when = f"Session {care.session} on {care.date:%d %b %Y} is too soon after the plan was made ({day:%d %b %Y})"
    parts = []
    if shortened:
        parts.append(f"shortened to start on {day:%d %b %Y}: {'; '.join(shortened)}")
    if dropped:
        parts.append(f"left out, as there is no time for it: {'; '.join(dropped)}")
    return tuple(items), f"{when} for the full pre-care. Pre-care {', and '.join(parts)}."
