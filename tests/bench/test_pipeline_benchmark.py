"""The pipeline benchmark's page: stages against the decode, the issue's targets, the earlier run."""

from __future__ import annotations

import numpy as np

from benchmarks.benchmark import ANALYZE_STAGES, COMPARE_STAGES, markdown


def _timings(analyze_ms: float, compare_ms: float) -> dict[str, float]:
    stages = dict.fromkeys(ANALYZE_STAGES, 0.010)
    return {
        "cv2.imdecode (reference)": 0.050,
        "decode, full size": 0.051,
        **stages,
        "analyze (whole)": analyze_ms / 1000,
        "compare (whole)": compare_ms / 1000,
        "decoded scale": 0.5,
    }


def test_it_judges_each_target_on_the_runs_own_ratios():
    page = markdown(_timings(99.0, 227.0), repeats=3, threads=1, peak_compare=900.0, peak_idle=120.0)
    assert "| analyze <= 2 x cv2.imdecode | 1.98 x | yes |" in page
    assert "| compare <= 2 analyses + 15 % | 2.29 analyses | yes |" in page
    assert "900 MB resident" in page and "| yes |" in page.split("peak memory")[1].splitlines()[0]
    assert "decodes at 0.5 of its size" in page

    slow = markdown(_timings(101.0, 233.0), repeats=3, threads=1, peak_compare=1100.0, peak_idle=120.0)
    assert "| analyze <= 2 x cv2.imdecode | 2.02 x | no |" in slow
    assert "| compare <= 2 analyses + 15 % | 2.31 analyses | no |" in slow
    assert slow.split("peak memory")[1].splitlines()[0].endswith("| no |")


def test_it_shows_an_earlier_run_beside_this_one_and_marks_stages_it_did_not_have():
    earlier = {"label": "the code before", "command": "the same way", "timings": {"cv2.imdecode (reference)": 0.1}}
    earlier["timings"]["analyze (whole)"] = 1.0
    page = markdown(_timings(100.0, 230.0), repeats=3, threads=1, peak_compare=1.0, peak_idle=1.0, before=earlier)
    assert "| stage | before (ms) | before x cv2.imdecode | median (ms) | x cv2.imdecode |" in page
    assert "| analyze (whole) | 1000.0 | 10.00 | 100.0 | 2.00 |" in page
    assert "| landmarks | - | - | 10.0 | 0.20 |" in page
    assert "decoded scale" not in page.split("| stage |")[1]


def test_it_gives_the_clinic_uploads_work_in_analyses_when_it_was_timed():
    timings = _timings(100.0, 230.0)
    assert "clinic upload" not in markdown(timings, repeats=3, threads=1, peak_compare=1.0, peak_idle=1.0)

    timings["clinic upload (served copy + analysis)"] = 0.180
    page = markdown(timings, repeats=3, threads=1, peak_compare=1.0, peak_idle=1.0)
    assert "| clinic upload (served copy + analysis) | 180.0 | 3.60 |" in page
    assert "180 ms,\n1.80 analyses." in page


def test_it_weighs_compares_own_stages_in_analyses():
    timings = _timings(100.0, 230.0) | dict.fromkeys(COMPARE_STAGES, 0.010)
    page = markdown(timings, repeats=3, threads=1, peak_compare=1.0, peak_idle=1.0)
    assert "| compare: identity check | 10.0 | 0.20 |" in page
    assert "Those four stages take 40 ms, 0.40 analyses" in page


def test_it_sets_the_decode_in_a_fresh_process_beside_this_runs_reference():
    timings = _timings(100.0, 230.0) | {"cv2.imdecode in a fresh process": 0.0512}
    page = markdown(timings, repeats=3, threads=1, peak_compare=1.0, peak_idle=1.0)
    assert "took 51.2 ms in a fresh process that decodes nothing\nelse, against 50.0 ms in this one" in page
    assert "| cv2.imdecode in a fresh process |" not in page


def test_a_fresh_process_decodes_the_file(tmp_path):
    import cv2

    from benchmarks.benchmark import fresh_process_imdecode_s

    path = tmp_path / "grey.jpg"
    cv2.imwrite(str(path), np.full((64, 48, 3), 128, np.uint8))
    assert 0 < fresh_process_imdecode_s(path, threads=1, repeats=3) < 5
