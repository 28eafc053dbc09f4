"""``dermadelta screen``, ``plan``, ``intake`` and ``rules``: the consultation and the plan."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from dermadelta.errors import InputError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def register(subparsers: Any) -> None:
    screen = subparsers.add_parser("screen", help="screen intake answers: go, caution, defer (until a date) or refer")
    screen.add_argument("intake", help="intake answers as JSON (see docs/PROTOCOL.md)")
    _zones_date_rules(screen)
    screen.add_argument("--json", action="store_true", help="print the result as JSON")
    screen.set_defaults(handler=run_screen)

    plan = subparsers.add_parser("plan", help="plan a series of sessions with dates and care")
    plan.add_argument(
        "--concern",
        action="append",
        required=True,
        metavar="CONCERN[:ZONE,...]",
        help="a concern and the zones to treat it in (repeatable); no zones: all usual zones",
    )
    plan.add_argument("--start", required=True, help="first possible session date, YYYY-MM-DD")
    plan.add_argument("--device", default="pen", help="pen, roller or at_home (default: pen)")
    plan.add_argument("--sessions", type=int, help="number of sessions (default: per concern)")
    plan.add_argument("--interval-weeks", type=int, help="weeks between sessions (default: minimum)")
    add_depth_option(plan)
    plan.add_argument("--addon", action="append", default=[], help="add-on such as prp")
    plan.add_argument("--conservative", action="store_true", help="lower half of depth ranges")
    plan.add_argument("--intake", help="intake JSON to screen first (washouts move the start)")
    plan.add_argument("--event", help="a date to look good for, YYYY-MM-DD")
    plan.add_argument("--working-days", default="mon-fri", help="e.g. mon-fri or tue,thu,sat")
    plan.add_argument("--closed", default="", help="closed dates, comma-separated YYYY-MM-DD")
    plan.add_argument("--tz", default="Europe/London", help="clinic time zone (IANA name)")
    plan.add_argument("--clinic", default="", help="clinic name for the handout and calendar")
    plan.add_argument("--rules", action="append", default=[], help="rules file overriding a default")
    plan.add_argument("--json", action="store_true", help="print plan and care as JSON")
    plan.add_argument("--ics", help="write sessions and care reminders to this .ics file")
    plan.add_argument("--html", help="write the patient handout as HTML")
    plan.add_argument("--pdf", help="write the patient handout as PDF")
    plan.set_defaults(handler=run_plan)

    intake = subparsers.add_parser("intake", help="export the intake questionnaire or answers as FHIR")
    intake.add_argument("answers", nargs="?", help="intake JSON: export as QuestionnaireResponse")
    _zones_date_rules(intake)
    intake.set_defaults(handler=run_intake)

    rules = subparsers.add_parser("rules", help="check or list the protocol rules")
    actions = rules.add_subparsers(dest="rules_command", required=True, metavar="ACTION")
    check = actions.add_parser("check", help="validate rules files (with the defaults for the rest)")
    check.add_argument("files", nargs="+")
    check.set_defaults(handler=run_rules_check)
    listing = actions.add_parser("list", help="list zones, concerns, devices, rules or tasks")
    listing.add_argument("kind", choices=("zones", "concerns", "devices", "rules", "tasks", "addons"))
    listing.add_argument("--rules", action="append", default=[], help="rules file overriding a default")
    listing.set_defaults(handler=run_rules_list)


def add_depth_option(parser: argparse.ArgumentParser) -> None:
    """``--depth [ZONE=]MM``, the same in every command that plans sessions."""
    parser.add_argument(
        "--depth",
        action="append",
        default=[],
        metavar="[ZONE=]MM",
        help="fix a zone's depth (repeatable); a bare MM fixes every treated zone not named",
    )


def _zones_date_rules(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--zones", help="zones to treat, comma-separated (overrides the file)")
    # --date is the older name of --on.
    parser.add_argument("--on", "--date", dest="on", metavar="DATE", help="consultation date YYYY-MM-DD")
    parser.add_argument(
        "--rest-are-no",
        action="store_true",
        help="answer 'no' (or 'none', 'never') to every yes/no, zone and date question the file leaves out; "
        "you confirm that you asked",
    )
    parser.add_argument("--rules", action="append", default=[], help="rules file overriding a default")


def read_json(path: str) -> Any:
    """JSON from a file (``-`` for stdin), or InputError with the line of a syntax error."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{path}:{error.lineno}: malformed JSON: {error.msg}") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply") from None


def _load_intake(args: argparse.Namespace, path: str) -> Any:
    from dermadelta.protocol.rulebook import load_rulebook
    from dermadelta.protocol.screening import parse_date, parse_intake

    book = load_rulebook(args.rules)
    zones = [z.strip() for z in args.zones.split(",") if z.strip()] if args.zones else None
    on = parse_date(args.on, "--on") if args.on else None
    data = read_json(path)
    if on is None and isinstance(data, dict) and "date" not in data:
        raise InputError(f'{path} has no consultation date: give --on YYYY-MM-DD or a "date" in the file')
    if args.rest_are_no and isinstance(data, dict) and isinstance(data.get("answers", {}), dict):
        data = {**data, "answers": {**_no_to_the_rest(book), **data.get("answers", {})}}
    return parse_intake(data, rules=book, on=on, zones=zones), book


def _no_to_the_rest(book: Any) -> dict[str, Any]:
    """'No' to every yes/no question, 'none' to every zone list; dates are left out, which means never."""
    plain = {"boolean": False, "zones": []}
    return {q.id: plain[q.type] for q in book.questions.values() if q.type in plain}


def run_screen(args: Any) -> int:
    from dermadelta.protocol.screening import EMPTY_MEANS_NEVER, VERDICT_LABELS, screen

    intake, book = _load_intake(args, args.intake)
    result = screen(intake, rules=book)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    until = f" until {result.earliest_date.isoformat()}" if result.earliest_date else ""
    zones = ", ".join(book.zone_label(z).lower() for z in intake.zones) or "none given"
    print(f"{VERDICT_LABELS[result.verdict]}{until}  (zones: {zones})")
    for finding in result.findings:
        date = f" [until {finding.until.isoformat()}]" if finding.until else ""
        print(f"  {VERDICT_LABELS[finding.outcome]}: {finding.reason}{date}")
        print(f"      source: {finding.source}")
    # With --rest-are-no the practitioner confirmed that a date left out means never.
    open_questions = [
        q
        for q in result.unanswered
        if not (args.rest_are_no and q in book.questions and book.questions[q].type in EMPTY_MEANS_NEVER)
    ]
    if open_questions:
        questions = "; ".join(book.questions[q].text if q in book.questions else q for q in open_questions)
        print(f"  not answered: {questions}")
    return 0


def parse_working_days(text: str) -> tuple[int, ...]:
    """Weekday numbers from ``mon-fri`` or ``tue,thu,sat``."""
    days: set[int] = set()
    for part in text.lower().split(","):
        part = part.strip()
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise InputError(f"working days: {part!r} is not like mon-fri or tue,thu")
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        if end < start:
            raise InputError(f"working days: {part!r} runs backwards")
        days.update(range(start, end + 1))
    return tuple(sorted(days))


def depths_by_zone(pairs: list[str], treated: list[str]) -> dict[str, float]:
    """Depths from ``--depth ZONE=MM`` or ``--depth MM`` (every ``treated`` zone not named)."""
    depths: dict[str, float] = {}
    every: float | None = None
    for pair in pairs:
        zone, sep, value = pair.rpartition("=")
        try:
            millimetres = float(value)
        except ValueError:
            raise InputError(f"--depth {pair!r} must be ZONE=MILLIMETRES or MILLIMETRES, e.g. left_cheek=1.5") from None
        if not sep:
            if every is not None:
                raise InputError("--depth without a zone can be given once")
            every = millimetres
        elif not zone.strip():
            raise InputError(f"--depth {pair!r} names no zone")
        else:
            depths[zone.strip()] = millimetres
    if every is not None:
        depths = {**dict.fromkeys(treated, every), **depths}
    return depths


def run_plan(args: Any) -> int:
    from dermadelta.protocol.calendar import plan_calendar, time_zone
    from dermadelta.protocol.care import care_schedule
    from dermadelta.protocol.plan import make_plan, parse_targets
    from dermadelta.protocol.rulebook import load_rulebook
    from dermadelta.protocol.screening import VERDICT_LABELS, parse_date, parse_intake, screen

    book = load_rulebook(args.rules)
    time_zone(args.tz)  # fail on a bad zone before any work
    start = parse_date(args.start, "--start")
    targets = parse_targets(args.concern, rules=book)
    screening = None
    if args.intake:
        zones = list(dict.fromkeys(z for t in targets for z in t.zones))
        screening = screen(parse_intake(read_json(args.intake), rules=book, zones=zones), rules=book)
    closed = [parse_date(d, "--closed") for d in args.closed.split(",") if d.strip()]
    plan = make_plan(
        targets,
        start=start,
        device=args.device,
        sessions=args.sessions,
        interval_weeks=args.interval_weeks,
        depth_mm=depths_by_zone(args.depth, [z for t in targets for z in t.zones]),
        addons=args.addon,
        conservative=args.conservative,
        screening=screening,
        working_days=parse_working_days(args.working_days),
        closed_dates=closed,
        event=parse_date(args.event, "--event") if args.event else None,
        rules=book,
    )
    care = care_schedule(plan, rules=book)
    if args.ics:
        stamp = dt.datetime.now(dt.UTC)
        Path(args.ics).write_bytes(
            plan_calendar(plan, care, tz=args.tz, stamp=stamp, clinic=args.clinic or "the clinic", rules=book)
        )
    handouts = [path for path in (args.html, args.pdf) if path]
    if handouts:
        from dermadelta.reports.handout import handout_html
        from dermadelta.reports.pdf import write_html_or_pdf

        html = handout_html(
            plan,
            care,
            tz=args.tz,
            prepared=dt.date.today(),
            screening=screening,
            clinic=args.clinic,
            rules=book,
        )
        for path in handouts:
            write_html_or_pdf(html, path)
    if args.json:
        payload = {"plan": plan.to_dict(), "care": care.to_dict()}
        if screening is not None:
            payload["screening"] = screening.to_dict()
        print(json.dumps(payload, indent=2))
        return 0
    if screening is not None:
        print(f"screening: {VERDICT_LABELS[screening.verdict]}")
    for session in plan.sessions:
        depths = ", ".join(f"{book.zone_label(d.zone).lower()} {d.depth_mm} mm" for d in session.depths)
        print(f"session {session.number}  {session.date.isoformat()} {session.date:%a}  {depths}")
    print(f"maintenance: {plan.maintenance_from.isoformat()} to {plan.maintenance_until.isoformat()}")
    for note in plan.notes:
        print(f"note: {note}")
    return 0


def run_intake(args: Any) -> int:
    from dermadelta.protocol.fhir import questionnaire, questionnaire_response
    from dermadelta.protocol.rulebook import load_rulebook

    if args.answers is None:
        print(json.dumps(questionnaire(rules=load_rulebook(args.rules)), indent=2))
        return 0
    intake, book = _load_intake(args, args.answers)
    authored = dt.datetime.combine(intake.on, dt.time(0), tzinfo=dt.UTC)
    print(json.dumps(questionnaire_response(intake, authored=authored, rules=book), indent=2))
    return 0


def run_rules_check(args: Any) -> int:
    from dermadelta.protocol.rulebook import load_rulebook

    book = load_rulebook(args.files)
    print(
        f"ok: {len(book.zones)} zones, {len(book.concerns)} concerns, "
        f"{len(book.devices)} devices, {len(book.questions)} questions, "
        f"{len(book.rules)} screening rules, {len(book.tasks)} care tasks"
    )
    return 0


def run_rules_list(args: Any) -> int:
    from dermadelta.protocol.rulebook import load_rulebook

    book = load_rulebook(args.rules)
    if args.kind == "zones":
        for z in book.zones.values():
            print(f"{z.id:18} {z.region:5} {z.min_mm}-{z.max_mm} mm  {z.source}")
    elif args.kind == "concerns":
        for c in book.concerns.values():
            print(
                f"{c.id:22} {c.min_mm}-{c.max_mm} mm  {c.sessions_min}-{c.sessions_max} sessions  "
                f"{c.interval_weeks_min}-{c.interval_weeks_max} weeks  {c.source}"
            )
    elif args.kind == "devices":
        for d in book.devices.values():
            print(f"{d.id:10} max {d.max_mm} mm  {d.source}")
    elif args.kind == "rules":
        for r in book.rules.values():
            print(f"{r.id:24} {r.outcome:7} {r.source}")
    elif args.kind == "tasks":
        for t in book.tasks.values():
            print(f"{t.id:24} {t.phase:4} day {t.first_day}..{t.last_day}  {t.source}")
    else:
        for a in book.addons.values():
            print(f"{a.id:18} {a.source}")
    return 0
