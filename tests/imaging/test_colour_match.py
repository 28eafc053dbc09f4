"""The after photo's light is matched to the before photo's on the surroundings of the face,
and a comparison whose light cannot be matched does not judge what the light moves."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dermadelta.imaging import simulate as sim
from dermadelta.imaging.colour_match import UNMATCHED_REASON
from dermadelta.imaging.decode import decode
from dermadelta.imaging.metrics import LIGHT_DEPENDENT_METRICS, METRIC_NAMES


def _capture(rgb, *, exposure_ev: float) -> bytes:
    light = replace(sim.NEUTRAL_CAPTURE, exposure_ev=exposure_ev)
    return sim.capture(rgb, light, rng=np.random.default_rng(0))


@pytest.fixture(scope="module")
def unmatched(faces_dir):
    """A face on pure black: nothing around it to match the light by."""
    import cv2

    from dermadelta.imaging.landmarks import find_landmarks
    from dermadelta.imaging.pipeline import compare

    decoded = decode(str(faces_dir / "london_087_neutral_f31.jpg"))
    landmarks = find_landmarks(decoded)
    face = np.zeros(decoded.rgb.shape[:2], np.uint8)
    cv2.fillConvexPoly(face, cv2.convexHull(landmarks.points.astype(np.int32)), 1)
    grow = int(0.1 * landmarks.inter_ocular_px)
    face = cv2.dilate(face, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1)))
    on_black = (decoded.rgb * face[..., None]).astype(np.float32)
    return compare(_capture(on_black, exposure_ev=0.0), _capture(on_black, exposure_ev=0.5))


def test_what_the_light_moves_is_not_judged_when_the_light_cannot_be_matched(unmatched):
    assert unmatched.measured and not unmatched.colour_matched
    for zone, changes in unmatched.zones.items():
        for metric in METRIC_NAMES:
            change = changes[metric]
            if metric in LIGHT_DEPENDENT_METRICS:
                assert change.change == "not_measurable", (zone, metric)
                assert change.reason == f"after photo: {UNMATCHED_REASON}"
            else:  # contrasts of log luminance: a change of light cancels
                assert change.change != "not_measurable", (zone, metric)
    # The before photo's own colour is still reported; only the change is not judged.
    assert unmatched.zones["face"]["redness"].before is not None


def test_an_unmatched_comparison_reports_no_colour_gains(unmatched):
    alignment = unmatched.to_dict()["alignment"]
    assert alignment["after_colour_gains"] is None
    assert alignment["residual_iod"] is not None


def test_the_report_says_the_light_could_not_be_matched(unmatched):
    import re
    from html import unescape

    from dermadelta.reports.comparison_report import UNMATCHED_LIGHT, render_comparison_html

    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", render_comparison_html(unmatched))))
    assert UNMATCHED_LIGHT in text
    assert "multiplied by" not in text
