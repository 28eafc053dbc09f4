"""The analyze, compare and demo commands: output, exit status and one-line errors."""

from __future__ import annotations

import json

import pytest

from dermadelta.cli import main


@pytest.fixture(scope="module")
def photo(tmp_path_factory, subject_jpeg):
    path = tmp_path_factory.mktemp("photos") / "face.jpg"
    path.write_bytes(subject_jpeg)
    return path


def test_analyze_prints_json_with_every_zone(photo, capsys):
    assert main(["analyze", str(photo), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "dermadelta.analyze/1"
    assert data["quality"]["verdict"] in {"ok", "warn"}
    assert "left_cheek" in data["zones"] and "redness" in data["zones"]["left_cheek"]


def test_analyze_prints_a_table_for_people(photo, capsys):
    assert main(["analyze", str(photo)]) == 0
    out = capsys.readouterr().out
    assert "Forehead: Redness " in out and "Lines and wrinkles" in out
    assert "tone_ita" not in out and "left_cheek" not in out  # names, not codes


def test_a_photo_without_a_face_exits_2_with_one_line_and_a_reject_in_json(tmp_path, no_face_jpeg, capsys):
    path = tmp_path / "wall.jpg"
    path.write_bytes(no_face_jpeg)
    assert main(["analyze", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["quality"]["verdict"] == "reject"
    assert captured.err.count("\n") == 1 and "no face found" in captured.err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "empty file"),
        (b"GIF89a" + b"\0" * 30, "image"),
        (b"\xff\xd8\xff" + b"\0" * 10, "image"),
    ],
)
def test_bad_files_exit_2_with_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "photo.jpg"
    if content is not None:
        path.write_bytes(content)
    assert main(["analyze", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_compare_refuses_a_report_with_an_unknown_suffix_before_any_work(photo, capsys):
    assert main(["compare", str(photo), str(photo), "--report", "report.docx"]) == 2
    assert ".html or .pdf" in capsys.readouterr().err


def test_compare_writes_an_html_report(photo, tmp_path, capsys):
    report = tmp_path / "report.html"
    assert main(["compare", str(photo), str(photo), "--json", "--report", str(report)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "dermadelta.compare/1"
    assert report.read_text().lstrip().lower().startswith("<!doctype html")


def test_missing_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["compare", "only-one.jpg"])
    assert exit_info.value.code == 2


def test_the_demo_writes_and_names_a_report_labelled_simulated(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    report = tmp_path / "simulated_report.html"
    assert str(report.resolve()) in out
    assert "SIMULATED" in report.read_text()
    data = json.loads((tmp_path / "simulated_comparison.json").read_text())
    assert data["notice"].startswith("SIMULATED")


def test_a_real_command_line_prints_one_line_even_when_the_face_model_ran(tmp_path, no_face_jpeg):
    # MediaPipe's native core logs to stderr from its own threads; the command mutes it.
    import subprocess
    import sys

    path = tmp_path / "wall.jpg"
    path.write_bytes(no_face_jpeg)
    run = subprocess.run(
        [sys.executable, "-m", "dermadelta.cli", "analyze", str(path)], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [f"dermadelta: {path}: photo rejected: no face found"]
