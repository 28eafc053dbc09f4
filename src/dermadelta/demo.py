"""The demo: a simulated before/after pair, compared and reported.

Until the clinic application exists this is what ``make run`` shows. The photos
are a public-domain face shipped inside scikit-image, with simulated skin and a
simulated treatment, and every output says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from dermadelta.imaging import simulate as sim

NOTICE = (
    "SIMULATED: both photos are made from a public-domain portrait (matplotlib's 'grace_hopper', US Navy) "
    "with computer-generated skin texture and a simulated treatment result (finer texture, "
    "fewer brown spots, less redness) and capture differences (exposure, white balance, framing). "
    "They are not a patient's photos and not a real treatment outcome."
)


def simulated_pair(*, seed: int = 7) -> tuple[bytes, bytes]:
    """Before and after JPEG bytes of one simulated subject and treatment."""
    rng = np.random.default_rng(seed)
    subject = sim.make_subject("grace_hopper", inter_ocular_px=420.0, seed=seed)
    untreated = sim.add_brown_spots(
        subject.rgb, subject.skin, inter_ocular_px=subject.inter_ocular_px, rng=rng, area_fraction=0.03
    )
    untreated = sim.add_redness(untreated, subject.skin, delta_a=3.0)
    treated = sim.smooth_texture(subject.rgb, subject.skin, inter_ocular_px=subject.inter_ocular_px, amount=0.5)
    before = sim.capture(untreated, sim.random_nuisance(rng, inter_ocular_px=subject.inter_ocular_px), rng=rng)
    after = sim.capture(treated, sim.random_nuisance(rng, inter_ocular_px=subject.inter_ocular_px), rng=rng)
    return before, after


def run_demo(out: Path, *, pdf: bool = False) -> list[Path]:
    """Write the simulated photos, the comparison JSON and the report into ``out``; the report first."""
    from dermadelta.imaging.pipeline import compare
    from dermadelta.reports.comparison_report import write_comparison_report

    before, after = simulated_pair()
    before_path = out / "simulated_before.jpg"
    after_path = out / "simulated_after.jpg"
    before_path.write_bytes(before)
    after_path.write_bytes(after)
    comparison = compare(before_path, after_path)
    json_path = out / "simulated_comparison.json"
    data = comparison.to_dict()
    data["notice"] = NOTICE
    json_path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    title = "Before and after (simulated demo)"
    reports = [write_comparison_report(comparison, out / "simulated_report.html", title=title, notice=NOTICE)]
    if pdf:
        reports.append(write_comparison_report(comparison, out / "simulated_report.pdf", title=title, notice=NOTICE))
    return [*reports, json_path, before_path, after_path]
