"""The patient handout: plan, what to expect, and day-by-day care, as HTML or PDF."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dermadelta.protocol.calendar import local_time, time_zone
from dermadelta.protocol.care import CareSchedule
from dermadelta.protocol.plan import Plan
from dermadelta.protocol.rulebook import RuleBook, load_rulebook
from dermadelta.protocol.screening import VERDICT_LABELS, Screening


def handout_html(
    plan: Plan,
    care: CareSchedule,
    *,
    tz: str,
    prepared: dt.date,
    screening: Screening | None = None,
    clinic: str = "",
    patient: str = "",
    phone: str = "",
    rules: RuleBook | None = None,
) -> str:
    """A self-contained printable HTML handout (no external assets).

    ``patient`` is the name it is prepared for and ``phone`` the number the patient is
    told to call; either may be empty (the handout then says "the clinic").
    """
    import jinja2  # imported here: only handouts pay for it

    book = rules or load_rulebook()
    zone = time_zone(tz)
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    sessions = [
        {
            "number": s.number,
            "when": local_time(s.date, (plan.timing or book.session).start_time, zone).strftime("%a %d %b %Y, %H:%M"),
            "depths": ", ".join(f"{book.zone_label(d.zone)} {d.depth_mm} mm" for d in s.depths),
        }
        for s in plan.sessions
    ]
    sources = book.sources_cited_by(item.source for item in care.items)
    return environment.get_template("handout.html").render(
        title="Your microneedling plan and care guide",
        prepared=prepared.isoformat(),
        clinic=clinic,
        patient=patient,
        phone=phone,
        tz=tz,
        device=book.device(plan.device).label.lower(),
        plan=plan.to_dict(),
        sessions=sessions,
        care=care.to_dict()["sessions"],
        screening=screening.to_dict() if screening else None,
        verdict=VERDICT_LABELS[screening.verdict] if screening else "",
        timeline=book.timeline,
        sources=sources,
    )
