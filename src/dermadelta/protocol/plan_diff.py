"""What changes, in plain words, when a plan is made again under another rule book.

A stored plan keeps the rules it was made under; re-planning is an explicit act,
and the practitioner sees this list before confirming it: session dates and
depths, spacing, maintenance, and the care tasks of each session.
"""

from __future__ import annotations

import datetime as dt

from dermadelta.protocol.care import CareSchedule
from dermadelta.protocol.plan import Plan
from dermadelta.protocol.rulebook import RuleBook, load_rulebook


def _day(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def plan_changes(
    old: Plan, new: Plan, *, old_care: CareSchedule, new_care: CareSchedule, rules: RuleBook | None = None
) -> tuple[str, ...]:
    """Each difference between ``old`` and ``new`` (and their care schedules), one sentence each; empty if none."""
    book = rules or load_rulebook()

    changes: list[str] = []
    if len(old.sessions) != len(new.sessions):
        changes.append(f"Number of sessions: {len(old.sessions)} → {len(new.sessions)}.")
    if old.min_interval_days != new.min_interval_days:
        changes.append(f"Shortest time between sessions: {old.min_interval_days} → {new.min_interval_days} days.")
    if old.interval_days != new.interval_days:
        changes.append(f"Time between sessions: {old.interval_days} → {new.interval_days} days.")
    if old.not_before != new.not_before:
        changes.append(f"First day treatment is allowed: {_day(old.not_before)} → {_day(new.not_before)}.")
    before = {s.number: s for s in old.sessions}
    after = {s.number: s for s in new.sessions}
    for number in sorted(before.keys() | after.keys()):
        was, now = before.get(number), after.get(number)
        if was is None or now is None:
            if was is not None:
                changes.append(f"Session {number} ({_day(was.date)}) is no longer planned.")
            elif now is not None:
                changes.append(f"Session {number} is added, on {_day(now.date)}.")
            continue
        if was.date != now.date:
            changes.append(f"Session {number}: {_day(was.date)} → {_day(now.date)}.")
        was_depths = {d.zone: d.depth_mm for d in was.depths}
        now_depths = {d.zone: d.depth_mm for d in now.depths}
        for zone_id in dict.fromkeys([*was_depths, *now_depths]):
            a, b = was_depths.get(zone_id), now_depths.get(zone_id)
            if a != b:
                shown = [f"{v:g} mm" if v is not None else "not treated" for v in (a, b)]
                changes.append(f"Session {number}, {book.zone_label(zone_id).lower()}: {shown[0]} → {shown[1]}.")
    if (old.maintenance_from, old.maintenance_until) != (new.maintenance_from, new.maintenance_until):
        changes.append(
            f"Maintenance: {_day(old.maintenance_from)} to {_day(old.maintenance_until)} → "
            f"{_day(new.maintenance_from)} to {_day(new.maintenance_until)}."
        )
    changes.extend(_care_changes(old_care, new_care))
    return tuple(changes)


def _care_changes(old: CareSchedule, new: CareSchedule) -> list[str]:
    """Per session: care tasks added, dropped, moved or reworded."""
    changes = []
    was = {s.session: {i.task_id: i for i in s.items} for s in old.sessions}
    for session in new.sessions:
        before = was.get(session.session)
        if before is None:
            continue  # a new session: already said above
        now = {i.task_id: i for i in session.items}
        for task_id, item in now.items():
            earlier = before.get(task_id)
            if earlier is None:
                changes.append(f"Session {session.session}: new care step “{item.title}”.")
            elif (earlier.first, earlier.last) != (item.first, item.last):
                changes.append(
                    f"Session {session.session}: “{item.title}” from {_day(earlier.first)}–{_day(earlier.last)} "
                    f"to {_day(item.first)}–{_day(item.last)}."
                )
            elif (earlier.title, earlier.detail) != (item.title, item.detail):
                changes.append(f"Session {session.session}: the wording of “{item.title}” changes.")
        for task_id, item in before.items():
            if task_id not in now:
                changes.append(f"Session {session.session}: care step “{item.title}” is dropped.")
    return changes
