"""The scale-out section of the performance document is replaced, never duplicated, and the rest is kept."""

from __future__ import annotations

import json

from benchmarks import benchreport

RUN = {
    "database": "SQLite",
    "seconds": 15,
    "connections": 4,
    "loads": [
        {
            "page": "dashboard",
            "requests": 300,
            "seconds": 15.0,
            "requests_per_second": 20.0,
            "p50_ms": 180.0,
            "p95_ms": 260.4,
            "p99_ms": 300.9,
            "errors": 0,
        }
    ],
}


def test_it_replaces_its_own_section_and_keeps_the_imaging_figures(tmp_path):
    figures = tmp_path / "bench"
    figures.mkdir()
    (figures / "load-1-sqlite.json").write_text(json.dumps(RUN))
    document = tmp_path / "PERFORMANCE.md"
    document.write_text("# Performance\n\n| stage | median |\n")

    benchreport.write(figures, document)
    benchreport.write(figures, document)

    text = document.read_text()
    assert text.startswith("# Performance\n\n| stage | median |")
    assert text.count(benchreport.MARKER) == 1
    assert "| SQLite | dashboard | 20.0 | 180 | 260 | 301 | 300 | 0 |" in text


def test_it_says_so_when_there_are_no_figures(tmp_path):
    document = tmp_path / "PERFORMANCE.md"

    section = benchreport.write(tmp_path, document)

    assert "No load figures in this run." in section
    assert document.read_text() == section


def test_it_reports_the_batch_speed_up_against_its_target(tmp_path):
    batch = {
        "photos": 24,
        "direct_s": 40.0,
        "direct_photos_per_s": 0.6,
        "batch_1_workers_s": 48.0,
        "batch_1_workers_photos_per_s": 0.5,
        "batch_2_workers_s": 30.0,
        "batch_2_workers_photos_per_s": 0.8,
        "queue_overhead_s_per_photo": 0.333,
    }
    (tmp_path / "batch.json").write_text(json.dumps(batch))

    section = benchreport.write(tmp_path, tmp_path / "PERFORMANCE.md")

    assert "Two workers give 1.60x one (target >= 1.8x: not met)" in section
    assert "The queue costs 0.33 s per photo" in section


def test_it_names_the_operations_with_server_errors(tmp_path):
    fuzz = {
        "checks": "not_a_server_error",
        "examples_per_operation": 30,
        "seed": 1,
        "operations": 25,
        "failed_operations": ["POST /api/v1/patients/{patient_id}/photos"],
        "exit_status": 1,
        "summary": "===== 1 failure, 2 warnings in 45.06s =====",
    }
    (tmp_path / "api-fuzz.json").write_text(json.dumps(fuzz))

    section = benchreport.write(tmp_path, tmp_path / "PERFORMANCE.md")

    assert "for 25 operations: server errors on `POST /api/v1/patients/{patient_id}/photos`" in section
    assert "Its own summary: 1 failure, 2 warnings in 45.06s." in section


def test_it_reports_the_decoder_fuzz_with_its_failures_and_memory_budget(tmp_path):
    figures = {
        "inputs": 10000,
        "seed": 0,
        "seeds": ["heic", "jpeg", "png"],
        "max_pixels": 60000000,
        "timeout_s": 20.0,
        "seconds": 301.4,
        "decoded": 2700,
        "refused": 7299,
        "escapes": 1,
        "crashes": 0,
        "hangs": 0,
        "baseline_rss_mb": 210.0,
        "peak_rss_mb": 1100.0,
        "peak_growth_mb": 890.0,
        "memory_budget_mb": 1437.0,
        "within_budget": True,
    }
    (tmp_path / "decode-fuzz.json").write_text(json.dumps(figures))

    section = benchreport.write(tmp_path, tmp_path / "PERFORMANCE.md")

    assert "tried 10000 mutated photos" in section
    assert "1 escapes (any other error), 0 crashes and 0 hangs" in section
    assert "Peak memory 890 MB above the process's own 210 MB, within the decoder's budget of 1437 MB" in section
    assert "no failure" not in section


def test_it_reports_the_large_upload_with_its_memory_and_every_file_named(tmp_path):
    figures = {
        "photos": 12,
        "width": 8000,
        "height": 6000,
        "request_mb": 106.9,
        "status": 200,
        "seconds": 1.7,
        "saved": [f"IMG_{n:04d}.jpg" for n in range(1, 12)],
        "refused": ["IMG_0012.jpg: 43.1 MB is larger than the 42 MB limit"],
        "errors": [],
        "web_workers": 2,
        "worker_peak_rss_mb_before": 149.5,
        "worker_peak_rss_mb": 153.8,
    }
    (tmp_path / "upload-48mp.json").write_text(json.dumps(figures))

    section = benchreport.write(tmp_path, tmp_path / "PERFORMANCE.md")

    assert "posts 12 generated 8000 x 6000 JPEGs (107 MB in one request)" in section
    assert "answered 200 in 1.7 s, 11 saved and 1 refused, every one saved or refused by name" in section
    assert "peak resident memory (VmHWM) was 154 MB after the upload, 150 MB before it" in section


def test_it_reports_each_photos_share_of_the_two_worker_batch_against_its_decode(tmp_path):
    batch = {
        "photos": 200,
        "megapixels": 12.0,
        "cores": 2,
        "imdecode_median_s": 0.1,
        "direct_s": 240.0,
        "direct_photos_per_s": 0.833,
        "batch_1_workers_s": 250.0,
        "batch_1_workers_photos_per_s": 0.8,
        "batch_2_workers_s": 130.0,
        "batch_2_workers_photos_per_s": 1.538,
        "queue_overhead_s_per_photo": 0.05,
        "speedup_2_over_1": 1.923,
        "batch_2_workers_s_per_photo": 0.65,
        "batch_2_workers_per_photo_x_imdecode": 6.5,
    }
    (tmp_path / "batch.json").write_text(json.dumps(batch))

    section = benchreport.write(tmp_path, tmp_path / "PERFORMANCE.md")

    assert "200 simulated 12 MP face photos on 2 cores" in section
    assert "Two workers give 1.92x one (target >= 1.8x: met)" in section
    assert "each photo took 0.65 s of the batch's time, 6.5x the time to decode it" in section
    assert "median 100 ms" in section and "target <= 2x: not met" in section
