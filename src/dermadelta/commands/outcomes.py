"""``dermadelta expect`` and ``dermadelta progress``: expected response and measured progress."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from dermadelta.commands.protocol import add_depth_option, depths_by_zone, read_json
from dermadelta.errors import InputError
from dermadelta.reports.progress_words import AUDIENCES

REPORT_MONTHS = (1, 2, 3, 6, 9)


def register(subparsers: Any) -> None:
    expect = subparsers.add_parser("expect", help="expected redness, downtime and improvement over time for a plan")
    source = expect.add_mutually_exclusive_group(required=True)
    source.add_argument("--plan", help="plan JSON as printed by `dermadelta plan --json`")
    source.add_argument(
        "--concern",
        action="append",
        metavar="CONCERN[:ZONE,...]",
        help="a concern and its zones, as in plan (repeatable); planned with the plan's rules",
    )
    expect.add_argument("--device", default="pen", help="pen, roller or at_home (default: pen)")
    expect.add_argument("--sessions", type=int, help="number of sessions (default: per concern)")
    expect.add_argument("--interval-weeks", type=int, help="weeks between sessions (default: minimum)")
    add_depth_option(expect)
    expect.add_argument("--months", type=int, default=9, help="how far to look ahead")
    _patient_options(expect)
    expect.add_argument("--json", action="store_true")
    expect.add_argument("--plot", help="write the curves as PNG or SVG")
    expect.set_defaults(handler=run_expect)

    progress = subparsers.add_parser(
        "progress", help="measured changes against the expected band: ahead, on track or behind"
    )
    progress.add_argument("measurements", help="measurements JSON (see docs/OUTCOMES.md)")
    progress.add_argument("--plan", required=True, help="plan JSON from `dermadelta plan --json`")
    _patient_options(progress)
    progress.add_argument("--json", action="store_true")
    progress.add_argument("--plot", help="write the progress chart as PNG or SVG")
    progress.add_argument(
        "--for",
        dest="audience",
        choices=AUDIENCES,
        help="whose chart --plot draws: clinic (each status against the expected range; the default) "
        "or patient (plain, encouraging words, no verdicts)",
    )
    progress.set_defaults(handler=run_progress)


def _patient_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--age", type=int)
    parser.add_argument("--fitzpatrick", choices=("I", "II", "III", "IV", "V", "VI"))
    parser.add_argument("--severity", default="moderate", choices=("mild", "moderate", "severe"))
    parser.add_argument("--adherence", default="good", choices=("good", "partial", "poor"))
    parser.add_argument("--sun", default="moderate", choices=("low", "moderate", "high"))
    parser.add_argument("--smoker", action="store_true")


def _patient(args: argparse.Namespace) -> Any:
    from dermadelta.outcomes.model import Patient

    return Patient(
        age=args.age,
        fitzpatrick=args.fitzpatrick,
        severity=args.severity,
        adherence=args.adherence,
        sun=args.sun,
        smoker=args.smoker,
    )


def _courses(args: argparse.Namespace) -> dict[str, Any]:
    """Courses from a plan file, or from a plan made here with the plan command's rules
    (depths, caps, sessions and intervals), so that both commands read options alike."""
    from dermadelta.outcomes.courses import courses_from_plan_dict
    from dermadelta.protocol.plan import make_plan, parse_targets

    if args.plan:
        data = read_json(args.plan)
        if not isinstance(data, dict):
            raise InputError(f"{args.plan} is not a dermadelta plan (a JSON object)")
        return courses_from_plan_dict(data)
    targets = parse_targets(args.concern)
    plan = make_plan(
        targets,
        # Only the days between sessions matter here: every day is a working day.
        start=dt.date.today(),
        device=args.device,
        sessions=args.sessions,
        interval_weeks=args.interval_weeks,
        depth_mm=depths_by_zone(args.depth, [z for t in targets for z in t.zones]),
        working_days=range(7),
    )
    return courses_from_plan_dict(plan.to_dict())


def run_expect(args: argparse.Namespace) -> int:
    import numpy as np

    from dermadelta.outcomes.model import expect
    from dermadelta.protocol.rulebook import load_rulebook

    result = expect(_courses(args), patient=_patient(args), months=args.months)
    if args.plot:
        from dermadelta.reports.charts_outcomes import expectation_figure

        expectation_figure(result, args.plot)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    for down, flake in zip(result.windows.downtime, result.windows.flaking, strict=True):
        print(
            f"session {down.session} (day {down.first_day}): redness to day {down.last_day}, "
            f"flaking days {flake.first_day}-{flake.last_day}"
        )
    for item in result.concerns:
        band = item.band
        cells = []
        for month in REPORT_MONTHS:
            if month > args.months:
                break
            i = int(np.argmin(np.abs(band.days - month * 30.44)))
            cells.append(f"{month} mo {100 * band.mean[i]:.0f}% [{100 * band.low[i]:.0f}-{100 * band.high[i]:.0f}]")
        print(f"{load_rulebook().concern_label(item.concern)}: " + ", ".join(cells))
    print(f"post-inflammatory hyperpigmentation risk: {result.pih_risk}")
    return 0


def _day(entry: Mapping[str, Any], first: dt.date, what: str) -> float:
    from dermadelta.protocol.screening import parse_date

    if "day" in entry:
        day = entry["day"]
        if isinstance(day, bool) or not isinstance(day, int | float):
            raise InputError(f"{what}: day must be a number")
        return float(day)
    if "date" in entry:
        return float((parse_date(entry["date"], what) - first).days)
    raise InputError(f"{what}: needs a 'day' (since the first session) or a 'date'")


def load_measurements(data: Any, first_session: dt.date) -> list[Any]:
    """Measurements from ``{"measurements": [...], "comparisons": [...]}``."""
    from dermadelta.outcomes.progress import Measurement, measurements_from_compare

    if not isinstance(data, dict):
        raise InputError("measurements file must be a JSON object")
    unknown = sorted(set(data) - {"measurements", "comparisons"})
    if unknown:
        raise InputError(f"measurements file has unknown key {unknown[0]!r}")
    found = []
    for index, entry in enumerate(data.get("measurements", [])):
        what = f"measurement {index + 1}"
        if not isinstance(entry, dict):
            raise InputError(f"{what} must be an object")
        missing = [key for key in ("metric", "delta", "mdc") if key not in entry]
        if missing:
            raise InputError(f"{what} is missing {missing[0]!r}")
        before = entry.get("before")
        try:
            delta, mdc = float(entry["delta"]), float(entry["mdc"])
            baseline = None if before is None else float(before)
        except (TypeError, ValueError):
            raise InputError(f"{what}: delta, mdc and before must be numbers") from None
        found.append(Measurement(str(entry["metric"]), _day(entry, first_session, what), delta, mdc, baseline))
    for index, entry in enumerate(data.get("comparisons", [])):
        what = f"comparison {index + 1}"
        if not isinstance(entry, dict) or not isinstance(entry.get("compare"), dict):
            raise InputError(f"{what} must be an object with a 'compare' result")
        found.extend(
            measurements_from_compare(
                entry["compare"], day=_day(entry, first_session, what), zone=entry.get("zone", "face")
            )
        )
    return found


def run_progress(args: argparse.Namespace) -> int:
    from dermadelta.outcomes.courses import courses_by_response, courses_from_plan_dict
    from dermadelta.outcomes.progress import progress

    if args.audience and not args.plot:
        raise InputError("--for chooses whose chart is drawn: give --plot FILE too")
    plan_data = read_json(args.plan)
    if not isinstance(plan_data, dict):
        raise InputError(f"{args.plan} is not a dermadelta plan (a JSON object)")
    courses = courses_from_plan_dict(plan_data)
    plan = plan_data.get("plan", plan_data)
    first = dt.date.fromisoformat(plan["sessions"][0]["date"])
    by_response = courses_by_response(courses)
    measurements = load_measurements(read_json(args.measurements), first)
    patient = _patient(args)
    result = progress(measurements, courses=by_response, patient=patient)
    if args.plot:
        from dermadelta.reports.charts_outcomes import progress_figure

        baselines = {m.metric: m.before for m in measurements}
        progress_figure(
            result,
            args.plot,
            courses=by_response,
            baselines=baselines,
            patient=patient,
            audience=args.audience or "clinic",
        )
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    from dermadelta.reports.comparison_report import METRIC_LABELS

    for metric, verdict in result.latest.items():
        print(
            f"{METRIC_LABELS.get(metric, metric)}, day {verdict.day:.0f}: {verdict.status.replace('_', ' ')}; "
            f"change {verdict.measured:+.3g} (smallest detectable {verdict.mdc:.3g}), expected "
            f"{verdict.expected_low:+.3g} to {verdict.expected_high:+.3g}: {verdict.reason}"
        )
    return 0
