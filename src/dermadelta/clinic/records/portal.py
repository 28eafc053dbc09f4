"""What a patient sees this week: the next session, where they are in the healing after the last one, and their care.

Plain functions of ``(patient, today)``: they read the patient's record and the
protocol's rule book and change nothing (the page that calls them audits the
read). ``today`` is the day in the clinic's time zone.

"This week" is ``today`` and the six days after it: a care item or a healing
milestone is *now* when it overlaps that week, *done* when it ended before
today and *coming* when it starts after the week. The redness and flaking
windows come from the session's depth band (deeper needles, longer redness:
``protocol/rules/care.toml``); visible change, the collagen peak and full
results come from the rule book's timeline (``protocol/rules/timeline.toml``),
the same data the outcomes model is calibrated against.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dermadelta.clinic.records.actions import active_plan
from dermadelta.clinic.records.models import Patient, TreatmentPlan, TreatmentSession
from dermadelta.clinic.records.schedule import planned_sessions
from dermadelta.protocol.care import CareItem, SessionCare, session_care
from dermadelta.protocol.rulebook import DepthBand, RuleBook, Timeline, load_rulebook

#: The days counted as "this week": today and the six after it.
WEEK_DAYS = 7
#: Pre-care of the next session is shown from this many days before it.
PRE_CARE_LEAD_DAYS = 14

DONE, NOW, COMING = "done", "now", "coming"


def _state(first: dt.date, last: dt.date, today: dt.date) -> str:
    if last < today:
        return DONE
    if first > today + dt.timedelta(days=WEEK_DAYS - 1):
        return COMING
    return NOW


@dataclass(frozen=True)
class PlanStep:
    """One session of the active plan and whether it has been charted."""

    number: int
    date: dt.date
    max_depth_mm: float
    charted: bool
    is_next: bool


@dataclass(frozen=True)
class NextSession:
    number: int
    date: dt.date
    days_until: int
    max_depth_mm: float


@dataclass(frozen=True)
class Milestone:
    """A stage of healing after one session, from ``first`` to ``last`` inclusive."""

    key: str
    title: str
    detail: str
    first: dt.date
    last: dt.date
    state: str


@dataclass(frozen=True)
class HealingTimeline:
    """Where the patient is after their latest charted session."""

    session_number: int
    session_date: dt.date
    days_since: int
    headline: str
    milestones: tuple[Milestone, ...]


@dataclass(frozen=True)
class CheckItem:
    title: str
    detail: str
    phase: str  # "pre", "post" or "expect"
    first: dt.date
    last: dt.date
    state: str

    @classmethod
    def of(cls, item: CareItem, today: dt.date) -> CheckItem:
        return cls(item.title, item.detail, item.phase, item.first, item.last, _state(item.first, item.last, today))


@dataclass(frozen=True)
class Checklist:
    """The care items of one session, each marked done, now (this week) or coming."""

    session_number: int
    session_date: dt.date
    depth_mm: float
    items: tuple[CheckItem, ...]

    @property
    def this_week(self) -> tuple[CheckItem, ...]:
        return tuple(item for item in self.items if item.state == NOW)

    @property
    def all_done(self) -> bool:
        return all(item.state == DONE for item in self.items)


@dataclass(frozen=True)
class ThisWeek:
    """Everything the patient's own page shows about where they are now."""

    today: dt.date
    plan: TreatmentPlan | None
    sessions: tuple[PlanStep, ...]
    next_session: NextSession | None
    timeline: HealingTimeline | None
    aftercare: Checklist | None
    before_next: Checklist | None
    maintenance_from: dt.date | None

    @property
    def course_complete(self) -> bool:
        return bool(self.sessions) and self.next_session is None and all(s.charted for s in self.sessions)


# --- the record ----------------------------------------------------------------------------------


def latest_session(patient: Patient, today: dt.date) -> TreatmentSession | None:
    """The latest session charted on or before ``today``."""
    return patient.sessions.filter(on__lte=today).order_by("-on", "-number", "-id").first()


def plan_steps(patient: Patient, today: dt.date) -> tuple[PlanStep, ...]:
    """The active plan's sessions, each marked charted or not, and the next one to come."""
    plan = active_plan(patient)
    if plan is None:
        return ()
    charted = set(patient.sessions.filter(plan=plan).values_list("number", flat=True))
    rows = planned_sessions(plan)
    upcoming = [row for row in rows if row.number not in charted and row.date >= today]
    next_number = upcoming[0].number if upcoming else None
    return tuple(
        PlanStep(
            number=row.number,
            date=row.date,
            max_depth_mm=row.max_depth_mm,
            charted=row.number in charted,
            is_next=row.number == next_number,
        )
        for row in rows
    )


def next_session(patient: Patient, today: dt.date) -> NextSession | None:
    """The active plan's next session not yet charted, on or after ``today``."""
    for row in plan_steps(patient, today):
        if row.is_next:
            return NextSession(row.number, row.date, (row.date - today).days, row.max_depth_mm)
    return None


# --- healing and care ----------------------------------------------------------------------------


def _care_of(session: TreatmentSession, book: RuleBook) -> SessionCare:
    return session_care(session.number, session.on, session.deepest_mm or 0.25, rules=book)


def healing_timeline(patient: Patient, today: dt.date, *, rules: RuleBook | None = None) -> HealingTimeline | None:
    """Where the patient is in the healing after their latest charted session, or None before any."""
    session = latest_session(patient, today)
    if session is None:
        return None
    book = rules or load_rulebook()
    band = book.depth_band(session.deepest_mm or 0.25)
    line = book.timeline
    day = session.on
    since = (today - day).days

    def at(offset: int) -> dt.date:
        return day + dt.timedelta(days=offset)

    spans = [
        (
            "redness",
            "Redness",
            f"Redness like a mild sunburn for about {_days(band.redness_days)}; it fades day by day.",
            0,
            band.redness_days,
        ),
        (
            "flaking",
            "Dryness and flaking",
            "Normal shedding as the skin renews: moisturise and let it shed, do not pick.",
            band.flaking_first_day,
            band.flaking_last_day,
        ),
        (
            "visible",
            "Visible change",
            "The first change usually shows between weeks "
            f"{line.visible_days[0] // 7} and {line.visible_days[1] // 7}: a smoother, fresher surface.",
            line.visible_days[0],
            line.visible_days[1],
        ),
        (
            "collagen",
            "New collagen at its peak",
            "Beneath the surface new collagen forms fastest between weeks "
            f"{line.collagen_peak_days[0] // 7} and {line.collagen_peak_days[1] // 7}.",
            line.collagen_peak_days[0],
            line.collagen_peak_days[1],
        ),
        (
            "full",
            "Full results",
            "The full result of a session shows between months "
            f"{round(line.full_results_days[0] / 30)} and {round(line.full_results_days[1] / 30)}.",
            line.full_results_days[0],
            line.full_results_days[1],
        ),
    ]
    milestones = tuple(
        Milestone(key, title, detail, at(first), at(last), _state(at(first), at(last), today))
        for key, title, detail, first, last in spans
    )
    return HealingTimeline(session.number, day, since, _headline(since, band, line), milestones)


def _days(count: int) -> str:
    return f"{count} day" if count == 1 else f"{count} days"


def _headline(since: int, band: DepthBand, line: Timeline) -> str:
    """What to expect today, in plain words, ``since`` days after the session."""
    if since == 0:
        return "Today is your session day: redness like a mild sunburn is normal tonight."
    if since <= band.redness_days:
        return "Redness from your session is fading; it usually settles within a day or two more."
    if since <= band.flaking_last_day:
        return "Dryness and light flaking are normal now: moisturise, protect from the sun and let it shed."
    if since < line.visible_days[0]:
        return "The surface has settled; the repair goes on beneath the skin."
    if since <= line.visible_days[1]:
        return "This is when a first visible change usually starts to show."
    if since < line.collagen_peak_days[0]:
        return "New collagen is building up beneath the skin."
    if since <= line.collagen_peak_days[1]:
        return "New collagen is forming at its fastest now."
    if since < line.full_results_days[0]:
        return "Your skin keeps improving as the new collagen matures."
    if since <= line.full_results_days[1]:
        return "The full result of your last session is showing now."
    return "The result of your last session is complete; maintenance sessions help keep it."


def aftercare(patient: Patient, today: dt.date, *, rules: RuleBook | None = None) -> Checklist | None:
    """The care checklist (what to expect and aftercare) of the latest charted session."""
    session = latest_session(patient, today)
    if session is None:
        return None
    care = _care_of(session, rules or load_rulebook())
    items = tuple(CheckItem.of(item, today) for item in care.items if item.phase != "pre")
    return Checklist(session.number, session.on, care.depth_mm, items)


def before_next(patient: Patient, today: dt.date, *, rules: RuleBook | None = None) -> Checklist | None:
    """Pre-care of the next session, once it is at most two weeks away."""
    upcoming = next_session(patient, today)
    if upcoming is None or upcoming.days_until > PRE_CARE_LEAD_DAYS:
        return None
    care = session_care(upcoming.number, upcoming.date, upcoming.max_depth_mm or 0.25, rules=rules)
    items = tuple(CheckItem.of(item, today) for item in care.items if item.phase == "pre")
    return Checklist(upcoming.number, upcoming.date, care.depth_mm, items)


def this_week(patient: Patient, today: dt.date) -> ThisWeek:
    """Everything for the patient's own page, as of ``today`` (a day in the clinic's time zone)."""
    book = load_rulebook()
    plan = active_plan(patient)
    maintenance = None
    if plan is not None:
        try:
            maintenance = dt.date.fromisoformat(plan.plan["maintenance"]["from"])
        except (KeyError, TypeError, ValueError):
            maintenance = None
    return ThisWeek(
        today=today,
        plan=plan,
        sessions=plan_steps(patient, today),
        next_session=next_session(patient, today),
        timeline=healing_timeline(patient, today, rules=book),
        aftercare=aftercare(patient, today, rules=book),
        before_next=before_next(patient, today, rules=book),
        maintenance_from=maintenance,
    )
