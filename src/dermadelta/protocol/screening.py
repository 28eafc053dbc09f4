"""Suitability screening: intake answers -> go, caution, defer (until a date) or refer.

Every finding names the rule that fired and its source; the rules themselves are
data (``rules/screening.toml``). Washouts are calendar arithmetic: six months
after 31 August is 28 (or 29) February, not 180 days.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dermadelta.errors import InputError
from dermadelta.protocol.rulebook import OUTCOMES, Question, Rule, RuleBook, load_rulebook

#: Each verdict in the words people read (pages, handouts, the command line); JSON keeps the code.
VERDICT_LABELS: Mapping[str, str] = {
    "go": "Suitable",
    "caution": "Suitable with caution",
    "defer": "Deferred",
    "refer": "Refer to a physician",
}

#: Question types whose empty answer means "never" (no last date to report).
EMPTY_MEANS_NEVER = frozenset({"date", "zone_dates"})

#: A parsed answer: bool, int, str (a choice), date, zones, or zone -> date.
Answer = bool | int | str | dt.date | tuple[str, ...] | Mapping[str, dt.date]


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole calendar months, clamped to the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def washout_end(rule: Rule, last: dt.date) -> dt.date:
    """The first day after ``last`` on which the rule's washout is over."""
    return add_months(last, rule.washout_months) + dt.timedelta(days=rule.washout_days)


@dataclass(frozen=True)
class Intake:
    """A consultation: parsed answers, the zones to treat and the consultation date."""

    answers: Mapping[str, Answer]
    zones: tuple[str, ...]
    on: dt.date


@dataclass(frozen=True)
class Finding:
    rule_id: str
    outcome: str
    reason: str
    source: str
    until: dt.date | None = None
    plan_effect: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "outcome": self.outcome,
            "reason": self.reason,
            "source": self.source,
            "until": self.until.isoformat() if self.until else None,
        }


@dataclass(frozen=True)
class Screening:
    """The verdict: the most severe finding decides; ``earliest_date`` when deferred."""

    verdict: str
    findings: tuple[Finding, ...]
    on: dt.date
    zones: tuple[str, ...]
    earliest_date: dt.date | None = None
    unanswered: tuple[str, ...] = field(default=())

    @property
    def plan_effects(self) -> frozenset[str]:
        """Changes to the plan asked for by the findings (e.g. conservative depths)."""
        return frozenset(f.plan_effect for f in self.findings if f.plan_effect)

    @property
    def treatable_from(self) -> dt.date | None:
        """The first day a session may take place, or None while referred or open-ended."""
        if self.verdict == "refer":
            return None
        if self.verdict == "defer":
            return self.earliest_date
        return self.on

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "dermadelta.screening/1",
            "verdict": self.verdict,
            "on": self.on.isoformat(),
            "zones": list(self.zones),
            "earliest_date": self.earliest_date.isoformat() if self.earliest_date else None,
            "findings": [f.to_dict() for f in self.findings],
            "unanswered": list(self.unanswered),
        }


def screen(intake: Intake, *, rules: RuleBook | None = None) -> Screening:
    """Apply every screening rule to ``intake``.

    The verdict is the most severe outcome found (refer > defer > caution > go).
    A defer with a known date gives ``earliest_date`` (the latest of all washout
    ends); a defer without one (pregnancy) leaves it None: reassess in person.
    """
    book = rules or load_rulebook()
    for zone in intake.zones:
        book.zone(zone)
    findings = []
    for rule in book.rules.values():
        finding = _apply(rule, book.questions[rule.question], intake)
        if finding is not None:
            findings.append(finding)
    unanswered = tuple(q for q in book.questions if q not in intake.answers)
    asked_by_rules = {rule.question for rule in book.rules.values()}
    # Date questions are left empty for "never"; any other unanswered contraindication
    # question is unknown, not a "no": never a plain go.
    must_answer = {q for q in asked_by_rules if book.questions[q].type not in EMPTY_MEANS_NEVER}
    if missing := sorted(must_answer & set(unanswered)):
        findings.append(
            Finding(
                rule_id="unanswered_questions",
                outcome="caution",
                reason=(
                    f"{len(missing)} screening question{'s' if len(missing) > 1 else ''} not answered "
                    f"({'; '.join(book.questions[q].text for q in missing)}): ask before treating"
                ),
                source="Clinic policy: a contraindication that was not asked about is unknown, not absent",
            )
        )
    severity = max((OUTCOMES.index(f.outcome) for f in findings), default=0)
    verdict = OUTCOMES[severity]
    earliest = None
    if verdict == "defer":
        defers = [f for f in findings if f.outcome == "defer"]
        if all(f.until is not None for f in defers):
            earliest = max(f.until for f in defers if f.until is not None)
    return Screening(verdict, tuple(findings), intake.on, intake.zones, earliest, unanswered)


def _apply(rule: Rule, question: Question, intake: Intake) -> Finding | None:
    answer = intake.answers.get(question.id)
    if answer is None:
        return None

    def found(until: dt.date | None = None) -> Finding:
        return Finding(rule.id, rule.outcome, rule.reason, rule.source, until, rule.plan_effect)

    if question.type == "boolean":
        if answer is not rule.equals:
            return None
        reassess = rule.reassess_days
        return found(intake.on + dt.timedelta(days=reassess) if reassess is not None else None)
    if question.type == "choice":
        return found() if answer in rule.any_of else None
    if question.type == "integer":
        assert isinstance(answer, int) and rule.below is not None
        return found() if answer < rule.below else None
    if question.type == "zones":
        assert isinstance(answer, tuple)
        return found() if set(answer) & set(intake.zones) else None
    if question.type == "date":
        assert isinstance(answer, dt.date)
        end = washout_end(rule, answer)
        return found(end) if end > intake.on else None
    assert isinstance(answer, Mapping)
    ends = [washout_end(rule, day) for zone, day in answer.items() if zone in intake.zones]
    latest = max(ends, default=None)
    return found(latest) if latest is not None and latest > intake.on else None


# --- parsing answers -----------------------------------------------------------


def parse_date(value: object, what: str) -> dt.date:
    """A calendar date from ISO text (``YYYY-MM-DD``), or InputError naming ``what``."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise InputError(f"{what}: expected a date YYYY-MM-DD, got {value!r}")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"{what}: {value!r} is not a real date (YYYY-MM-DD)") from None


def parse_intake(
    data: object,
    *,
    rules: RuleBook | None = None,
    on: dt.date | None = None,
    zones: Sequence[str] | None = None,
) -> Intake:
    """Check and parse intake JSON: ``{"date", "zones", "answers": {question: value}}``.

    ``on`` and ``zones`` given here win over those in ``data``. The consultation
    date is required (washouts and "within the last N months" count from it, so a
    silent "today" would date an old intake wrongly). Unknown questions, values of
    the wrong type, unknown zones and dates after the consultation are refused with
    a message naming the question.
    """
    book = rules or load_rulebook()
    if not isinstance(data, dict):
        raise InputError("intake must be a JSON object with 'date' and 'answers' (and optional 'zones')")
    unknown_keys = sorted(set(data) - {"answers", "zones", "date", "patient"})
    if unknown_keys:
        raise InputError(f"intake has unknown key {unknown_keys[0]!r}")
    if on is None and "date" not in data:
        raise InputError('intake has no consultation date: add "date": "YYYY-MM-DD"')
    day = on or parse_date(data["date"], "intake date")
    raw_zones = zones if zones is not None else data.get("zones", [])
    chosen = _zone_list(raw_zones, book, "zones")
    answers_raw = data.get("answers", {})
    if not isinstance(answers_raw, dict):
        raise InputError("intake 'answers' must be an object of question: answer")
    answers: dict[str, Answer] = {}
    for key, value in answers_raw.items():
        if key not in book.questions:
            raise InputError(f"unknown intake question {key!r}")
        if value is None or value == "":
            continue  # an empty answer is "never" / "not applicable"
        answers[key] = _parse_answer(book.questions[key], value, book, day)
    return Intake(answers, chosen, day)


def _zone_list(value: object, book: RuleBook, what: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(isinstance(z, str) for z in value):
        raise InputError(f"{what} must be a list of zone names")
    for zone in value:
        book.zone(zone)
    return tuple(dict.fromkeys(value))


def _parse_answer(question: Question, value: object, book: RuleBook, on: dt.date) -> Answer:
    what = f"answer to {question.id!r}"
    if question.type == "boolean":
        if not isinstance(value, bool):
            raise InputError(f"{what} must be true or false, not {value!r}")
        return value
    if question.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 130:
            raise InputError(f"{what} must be a whole number from 0 to 130, not {value!r}")
        return value
    if question.type == "choice":
        if value not in question.choices:
            raise InputError(f"{what} must be one of {', '.join(question.choices)}, not {value!r}")
        assert isinstance(value, str)
        return value
    if question.type == "zones":
        return _zone_list(value, book, what)
    if question.type == "date":
        return _past_date(value, what, on)
    if not isinstance(value, dict):
        raise InputError(f"{what} must be an object of zone: date")
    dates = {}
    for zone, day in value.items():
        book.zone(zone)
        dates[zone] = _past_date(day, f"{what} for {zone}", on)
    return dates


def _past_date(value: object, what: str, on: dt.date) -> dt.date:
    day = parse_date(value, what)
    if day > on:
        raise InputError(f"{what}: {day.isoformat()} is after the consultation date {on.isoformat()}")
    return day
