"""Refit the outcome model: ``python -m dermadelta.outcomes.calibrate [--write] [--plot PNG]``.

Prints every calibration point with the model's value, the target, the tolerance
and the residual; ``--write`` stores the fitted kinetics in ``fitted.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from dermadelta.outcomes.calibration import CHECK_POINTS, FIT_POINTS, fit
from dermadelta.outcomes.model import FITTED_FILE, load_params


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dermadelta.outcomes.calibrate")
    parser.add_argument("--write", action="store_true", help=f"store the fit in {FITTED_FILE.name}")
    parser.add_argument("--plot", help="write the calibration figure (PNG or SVG)")
    args = parser.parse_args(argv)

    result = fit()
    k = result.kinetics
    print(
        f"fit: shape {k.shape:.3f}, scale {k.scale_days:.2f} d, saturation {k.saturation:.3f}, "
        f"acne ceiling {k.acne_ceiling:.3f}; peak day {k.peak_day:.1f}; "
        f"90 % of one session by day {k.day_reaching(0.9):.0f}; cost {result.cost:.4f}"
    )
    print(f"{'point':22} {'model':>8} {'target':>8} {'tol':>6} {'resid':>7}")
    for point in FIT_POINTS:
        print(
            f"{point.id:22} {result.values[point.id]:8.3f} {point.target:8.3f} "
            f"{point.tolerance:6.3f} {result.residuals[point.id]:7.2f}"
        )
    for point in CHECK_POINTS:
        print(f"{point.id:22} {result.values[point.id]:8.3f} >= {point.target:.3f} (check, not fitted)")
    if args.write:
        payload = {
            "kinetics": {
                "shape": round(k.shape, 6),
                "scale_days": round(k.scale_days, 6),
                "saturation": round(k.saturation, 6),
                "acne_ceiling": round(k.acne_ceiling, 6),
            },
            "residuals": {key: round(value, 4) for key, value in result.residuals.items()},
            "produced_by": "python -m dermadelta.outcomes.calibrate --write",
        }
        FITTED_FILE.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        load_params.cache_clear()
        print(f"wrote {FITTED_FILE.name}")
    if args.plot:
        from dermadelta.reports.charts_outcomes import calibration_figure

        calibration_figure(args.plot)
        print(f"wrote {args.plot}")
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main())
