"""``dermadelta analyze``, ``compare`` and ``demo``: the imaging pipeline from the shell."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from dermadelta.errors import InputError

EXIT_OK = 0
EXIT_REJECTED = 2


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    analyze = subparsers.add_parser("analyze", help="measure skin metrics per face zone in one photo")
    analyze.add_argument("photo", help="JPEG, PNG, TIFF, HEIC/HEIF or WebP file")
    analyze.add_argument("--json", action="store_true", help="print the analysis as JSON")
    analyze.set_defaults(handler=run_analyze)

    compare = subparsers.add_parser("compare", help="what really changed between a before and an after photo")
    compare.add_argument("before")
    compare.add_argument("after")
    compare.add_argument("--json", action="store_true", help="print the comparison as JSON")
    compare.add_argument("--report", metavar="FILE", help="write a report, FILE.html or FILE.pdf")
    compare.set_defaults(handler=run_compare)

    demo = subparsers.add_parser("demo", help="compare a simulated before/after pair and write its report")
    demo.add_argument("--out", default="out", help="folder for the photos, the JSON and the report")
    demo.add_argument("--pdf", action="store_true", help="also write the report as PDF")
    demo.set_defaults(handler=run_demo)


def _print_json(data: dict[str, Any]) -> None:
    json.dump(data, sys.stdout, indent=2, allow_nan=False)
    sys.stdout.write("\n")


def _reject_line(path: str, reasons: tuple[str, ...]) -> str:
    return f"dermadelta: {path}: photo rejected: {'; '.join(reasons)}"


def run_analyze(args: argparse.Namespace) -> int:
    from dermadelta.imaging.pipeline import analyze

    analysis = analyze(args.photo)
    if args.json:
        _print_json(analysis.to_dict())
    if not analysis.measured:
        print(_reject_line(args.photo, analysis.quality.reasons), file=sys.stderr)
        return EXIT_REJECTED
    if not args.json:
        assert analysis.measurements is not None
        print(f"{args.photo}: quality {analysis.quality.verdict}", *analysis.quality.reasons, sep="\n  ")
        print(_table(analysis.measurements.values))
    return EXIT_OK


def run_compare(args: argparse.Namespace) -> int:
    from dermadelta.imaging.pipeline import compare

    _check_report_path(args.report)
    comparison = compare(args.before, args.after)
    if args.json:
        _print_json(comparison.to_dict())
    if args.report:
        from dermadelta.reports.comparison_report import write_comparison_report

        written = write_comparison_report(comparison, args.report)
        print(f"report written: {written}", file=sys.stderr)
    if not comparison.measured:
        for analysis in (comparison.before, comparison.after):
            if analysis.quality.verdict == "reject":
                print(_reject_line(analysis.inspected.decoded.source, analysis.quality.reasons), file=sys.stderr)
        if comparison.reason:
            print(_reject_line(comparison.after.inspected.decoded.source, (comparison.reason,)), file=sys.stderr)
        return EXIT_REJECTED
    if not args.json:
        from dermadelta.reports.comparison_report import distance_note, zone_label

        if comparison.mirrored:
            print("the after photo was a mirror image; it was flipped back before comparing")
        if note := distance_note(comparison.face_size_ratio, capture_page=False):
            print(note)
        print(f"alignment residual: {comparison.residual_iod:.2%} of the inter-ocular distance")
        for zone, metrics in comparison.zones.items():
            print(f"{zone_label(zone).capitalize()}: {_zone_summary(metrics)}")
    return EXIT_OK


def _zone_summary(metrics: dict[str, Any]) -> str:
    """A zone's verdicts in plain words: "less redness (-3.1, detectable 1.2); not measurable: Pores"."""
    from dermadelta.reports.comparison_report import METRIC_LABELS, change_words

    changed = [
        f"{change_words(name, c)} ({c.delta:+.3g}, detectable {c.mdc:.3g})"
        for name, c in metrics.items()
        if c.change in {"increased", "decreased"}
    ]
    unmeasured = [METRIC_LABELS.get(name, name) for name, c in metrics.items() if c.change == "not_measurable"]
    parts = changed or ["no detectable change"]
    if unmeasured:
        parts.append(f"not measurable: {', '.join(unmeasured)}")
    return "; ".join(parts)


def _check_report_path(report: str | None) -> None:
    if report is None:
        return
    path = Path(report)
    if path.suffix.lower() not in {".html", ".htm", ".pdf"}:
        raise InputError(f"--report must name an .html or .pdf file, not {path.name!r}")
    if not path.parent.exists():
        raise InputError(f"--report: folder {path.parent} does not exist")


def _table(values: dict[str, dict[str, float | None]]) -> str:
    """One line per zone, each measure by the name and in the unit the results table uses."""
    from dermadelta.imaging.metrics import METRIC_NAMES
    from dermadelta.reports.comparison_report import METRIC_LABELS, display_scale, display_unit, zone_label

    def cell(metric: str, value: float | None) -> str:
        shown = "not measurable" if value is None else f"{value * display_scale(metric):.4g} {display_unit(metric)}"
        return f"{METRIC_LABELS[metric]} {shown}"

    return "\n".join(
        f"{zone_label(zone).capitalize()}: " + "; ".join(cell(m, metrics[m]) for m in METRIC_NAMES)
        for zone, metrics in values.items()
    )


def run_demo(args: argparse.Namespace) -> int:
    from dermadelta.demo import run_demo as demo

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    written = demo(out, pdf=args.pdf)
    for path in written:
        print(f"wrote {path}")
    print(f"open the report: {written[0].resolve()}")
    return EXIT_OK
