"""Whether a session as charted keeps its plan's rules, and in what way it does not.

A plan (:class:`~dermadelta.protocol.plan.Plan`) spaces sessions at least
``min_interval_days`` apart so the skin heals in between, starts no earlier than
the screening allows (``not_before``), treats only the zones it planned (which
the consultation screened) and caps each zone's depth. A session charted against
these is a :class:`Deviation`: the clinic records it only with an explicit
override and a reason. Each deviation's ``message`` is plain words for the
practitioner; ``code`` and ``field`` are for programs and forms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dermadelta.protocol.plan import Plan
from dermadelta.protocol.rulebook import RuleBook, load_rulebook

#: The codes a deviation can carry (part of the API's contract).
CODES = (
    "before_plan_start",
    "too_soon",
    "zone_not_screened",
    "zone_not_planned",
    "above_plan_cap",
    "deeper_than_planned",
    "beyond_series",
    "plan_unreadable",  # the stored plan cannot be read (set by the clinic, which reads it)
)


@dataclass(frozen=True)
class Deviation:
    """One way a charted session departs from its plan."""

    code: str
    field: str  # the charted field at fault: "on", "number" or "depths"
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field, "message": self.message}


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def session_deviations(
    plan: Plan,
    *,
    number: int,
    on: dt.date,
    depths: Mapping[str, float],
    screened_zones: Collection[str],
    other_sessions: Iterable[tuple[int, dt.date]] = (),
    rules: RuleBook | None = None,
) -> tuple[Deviation, ...]:
    """How session ``number`` on ``on`` with ``depths`` (zone: mm) departs from ``plan``; empty when it keeps it.

    ``screened_zones`` are the zones the plan's consultation screened;
    ``other_sessions`` the patient's other charted sessions as (number, date),
    whatever plan they were charted under: the skin heals the same. Depths are
    taken as valid numbers (the caller checks them against the rule book's caps
    first); a zone unknown to the rule book is named in words from its id.
    """
    book = rules or load_rulebook()

    def label(zone: str) -> str:
        return book.zone_label(zone).lower()

    found: list[Deviation] = []
    if on < plan.not_before:
        found.append(
            Deviation(
                "before_plan_start",
                "on",
                f"{_day(on)} is before {_day(plan.not_before)}, the first day the plan allows treatment "
                "(the plan's start, or the end of a waiting time the screening set).",
            )
        )
    gap = plan.min_interval_days
    for other_number, other_on in sorted(other_sessions, key=lambda row: row[1]):
        apart = abs((on - other_on).days)
        if apart < gap:
            when = "the same day" if apart == 0 else f"{apart} day{'s' if apart != 1 else ''} apart"
            found.append(
                Deviation(
                    "too_soon",
                    "on",
                    f"Session {other_number} was charted on {_day(other_on)}, {when}: the plan keeps sessions "
                    f"at least {gap} days apart so the skin heals in between.",
                )
            )
    planned_zones = set(plan.zones)
    planned = next((s for s in plan.sessions if s.number == number), None)
    if planned is None:
        found.append(
            Deviation(
                "beyond_series",
                "number",
                f"The plan has {len(plan.sessions)} session{'s' if len(plan.sessions) != 1 else ''}; "
                f"session {number} is not one of them.",
            )
        )
    caps = {d.zone: d.cap_mm for s in plan.sessions for d in s.depths}
    planned_depths = {d.zone: d.depth_mm for d in planned.depths} if planned is not None else {}
    for zone, depth in depths.items():
        if zone not in screened_zones:
            found.append(
                Deviation(
                    "zone_not_screened",
                    "depths",
                    f"The {label(zone)} was not screened at the consultation the plan was made from "
                    "(a mole, a recent filler or surgery there would not have been asked about).",
                )
            )
        if zone not in planned_zones:
            found.append(Deviation("zone_not_planned", "depths", f"The {label(zone)} is not in the plan."))
            continue
        cap = caps.get(zone)
        if cap is not None and depth > cap + 1e-9:
            found.append(
                Deviation(
                    "above_plan_cap",
                    "depths",
                    f"{depth:g} mm on the {label(zone)} is deeper than the plan's limit of {cap:g} mm there.",
                )
            )
        elif zone in planned_depths and depth > planned_depths[zone] + 1e-9:
            found.append(
                Deviation(
                    "deeper_than_planned",
                    "depths",
                    f"{depth:g} mm on the {label(zone)} is deeper than the {planned_depths[zone]:g} mm "
                    f"planned for session {number}.",
                )
            )
    return tuple(found)
