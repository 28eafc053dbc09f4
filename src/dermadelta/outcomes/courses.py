"""Courses (session days and depths per concern) from a protocol plan or its JSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from dermadelta.errors import InputError
from dermadelta.outcomes.model import Course
from dermadelta.protocol.plan import Plan


def courses_from_plan(plan: Plan) -> dict[str, Course]:
    """One course per concern: each session's deepest needle over that concern's zones."""
    return courses_from_plan_dict(plan.to_dict())


def courses_from_plan_dict(data: Mapping[str, Any]) -> dict[str, Course]:
    """The same from ``dermadelta plan --json`` output (the object or its ``plan`` member)."""
    plan = data.get("plan", data)
    try:
        sessions = plan["sessions"]
        first = dt.date.fromisoformat(sessions[0]["date"])
        courses = {}
        for target in plan["targets"]:
            concern, zones = target["concern"], set(target["zones"])
            days, depths = [], []
            for session in sessions:
                depth = max(d["depth_mm"] for d in session["depths"] if d["zone"] in zones)
                days.append((dt.date.fromisoformat(session["date"]) - first).days)
                depths.append(float(depth))
            courses[concern] = Course(tuple(days), tuple(depths))
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise InputError(f"not a dermadelta plan (as printed by plan --json): {error}") from None
    return courses


def courses_by_response(courses: Mapping[str, Course]) -> dict[str, Course]:
    """Courses keyed by response group (a concern's ``outcome``), deepest first on a tie."""
    from dermadelta.protocol.rulebook import load_rulebook

    book = load_rulebook()
    grouped: dict[str, Course] = {}
    for concern, course in sorted(courses.items(), key=lambda item: -max(item[1].depths_mm)):
        grouped.setdefault(book.concern(concern).outcome, course)
    return grouped
