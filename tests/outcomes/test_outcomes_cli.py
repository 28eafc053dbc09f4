"""The expect and progress commands: text, JSON, plots, and one-line errors with status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dermadelta import cli


@pytest.fixture(autouse=True)
def only_these_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("dermadelta.commands.protocol", "dermadelta.commands.outcomes"))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def plan(capsys, tmp_path: Path) -> Path:
    status, out, _ = run(
        capsys,
        "plan",
        "--concern",
        "acne_scars_rolling:left_cheek",
        "--concern",
        "texture:nose",
        "--start",
        "2027-01-11",
        "--json",
    )
    assert status == 0
    path = tmp_path / "plan.json"
    path.write_text(out)
    return path


def test_expect_from_a_plan_prints_windows_and_improvement(capsys, plan: Path) -> None:
    status, out, _ = run(capsys, "expect", "--plan", str(plan), "--fitzpatrick", "V")
    assert status == 0
    assert "session 1 (day 0): redness to day 3, flaking days 3-7" in out
    assert "Acne scars: rolling: 1 mo" in out and "risk: high" in out


def test_expect_from_options_writes_json_and_a_plot(capsys, tmp_path: Path) -> None:
    png, svg = tmp_path / "e.png", tmp_path / "e.svg"
    status, out, _ = run(
        capsys,
        "expect",
        "--concern",
        "wrinkles:left_cheek,right_cheek",
        "--sessions",
        "4",
        "--interval-weeks",
        "4",
        "--depth",
        "1.5",
        "--json",
        "--plot",
        str(png),
    )
    assert status == 0 and json.loads(out)["schema"] == "dermadelta.expect/1"
    assert png.read_bytes().startswith(b"\x89PNG")
    run(capsys, "expect", "--concern", "wrinkles", "--plot", str(svg))
    assert b"<svg" in svg.read_bytes()[:500]


def test_expect_reads_options_as_plan_does_and_plans_alike(capsys, tmp_path: Path) -> None:
    """One grammar: the same options through plan then expect --plan, or straight to expect."""
    options = ["--concern", "acne_scars_rolling:left_cheek,right_cheek", "--sessions", "4", "--depth", "1.5"]
    # A Monday start and four-week intervals: the plan's working days move no session.
    status, out, _ = run(capsys, "plan", *options, "--start", "2027-01-11", "--json")
    assert status == 0
    path = tmp_path / "plan.json"
    path.write_text(out)
    _, from_plan, _ = run(capsys, "expect", "--plan", str(path), "--json")
    _, from_options, _ = run(capsys, "expect", *options, "--json")
    assert json.loads(from_plan) == json.loads(from_options)


def test_progress_judges_each_metric_and_plots(capsys, plan: Path, tmp_path: Path) -> None:
    measurements = tmp_path / "m.json"
    measurements.write_text(
        json.dumps(
            {
                "measurements": [
                    {"metric": "texture", "day": 120, "before": 1.0, "delta": -0.3, "mdc": 0.02},
                    {"metric": "redness", "date": "2027-01-12", "before": 10, "delta": 4, "mdc": 1},
                ],
                "comparisons": [
                    {
                        "day": 150,
                        "zone": "face",
                        "compare": {
                            "zones": {
                                "face": {
                                    "pores": {
                                        "before": 0.1,
                                        "after": 0.09,
                                        "delta": -0.01,
                                        "mdc": 0.005,
                                        "change": "decreased",
                                    }
                                }
                            }
                        },
                    }
                ],
            }
        )
    )
    png = tmp_path / "p.png"
    status, out, _ = run(capsys, "progress", str(measurements), "--plan", str(plan), "--json", "--plot", str(png))
    data = json.loads(out)
    assert status == 0
    assert set(data["latest"]) == {"texture", "redness", "pores"}
    assert data["latest"]["redness"]["status"] == "on_track"
    assert png.stat().st_size > 1000


def _texture(tmp_path: Path) -> Path:
    measurements = tmp_path / "texture.json"
    measurements.write_text(
        json.dumps({"measurements": [{"metric": "texture", "day": 120, "before": 1.0, "delta": -0.3, "mdc": 0.02}]})
    )
    return measurements


def test_progress_plots_the_clinic_chart_or_the_patients(capsys, plan: Path, tmp_path: Path) -> None:
    """SVG keeps each text as a comment beside its drawn outline: the titles tell the two versions apart."""
    charts = {audience: tmp_path / f"{audience}.svg" for audience in ("default", "clinic", "patient")}
    for audience, path in charts.items():
        chosen = [] if audience == "default" else ["--for", audience]
        status, _, _ = run(
            capsys, "progress", str(_texture(tmp_path)), "--plan", str(plan), "--plot", str(path), *chosen
        )
        assert status == 0

    drawn = {audience: path.read_text() for audience, path in charts.items()}
    assert "Your progress so far" in drawn["patient"] and "against the range" not in drawn["patient"]
    assert "behind" not in drawn["patient"] and "ahead" not in drawn["patient"]
    for clinic in (drawn["clinic"], drawn["default"]):
        assert "against the range the plan leads us to expect" in clinic and "Your progress so far" not in clinic


def test_progress_for_a_patient_needs_a_plot_and_knows_its_audiences(capsys, plan: Path, tmp_path: Path) -> None:
    status, out, err = run(capsys, "progress", str(_texture(tmp_path)), "--plan", str(plan), "--for", "patient")
    assert status == 2 and "give --plot FILE too" in err and err.count("\n") == 1 and not out

    with pytest.raises(SystemExit) as refused:
        run(capsys, "progress", str(_texture(tmp_path)), "--plan", str(plan), "--plot", "p.svg", "--for", "family")
    assert refused.value.code == 2 and "invalid choice: 'family'" in capsys.readouterr().err
    assert not (tmp_path / "p.svg").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["expect", "--concern", "freckles"], "unknown concern 'freckles'"),
        (["expect", "--concern", "wrinkles", "--depth", "7"], "7.0 mm on the forehead is above the zone cap"),
        (["expect", "--concern", "wrinkles:left_cheek", "--depth", "left_cheek=2.2"], "above the zone cap of 2.0"),
        (["expect", "--concern", "wrinkles:left_cheek", "--depth", "nose=0.3"], "not a treated zone"),
        (["expect", "--concern", "wrinkles", "--depth", "deep"], "ZONE=MILLIMETRES or MILLIMETRES"),
        (["expect", "--concern", "wrinkles", "--depth", "1", "--depth", "2"], "without a zone can be given once"),
        (["expect", "--concern", "wrinkles", "--depth", "=1"], "names no zone"),
        (["expect", "--concern", "wrinkles", "--sessions", "0"], "sessions must be between 1 and"),
        (["expect", "--concern", "texture", "--interval-weeks", "1"], "below the minimum of 4 weeks"),
        (["expect", "--concern", "texture:earlobe"], "unknown zone 'earlobe'"),
        (["expect", "--concern", "wrinkles", "--months", "0"], "months must be"),
        (["expect", "--concern", "wrinkles", "--plot", "curve.jpg"], "must end in .png or .svg"),
    ],
)
def test_bad_expect_arguments_give_one_line_and_status_2(capsys, argv: list[str], message: str) -> None:
    status, _, err = run(capsys, *argv)
    assert status == 2 and message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{oops", "malformed JSON"),
        ("[]", "must be a JSON object"),
        ('{"measurements": [{"metric": "texture"}]}', "missing 'delta'"),
        ('{"measurements": [{"metric": "texture", "delta": 1, "mdc": 1}]}', "needs a 'day'"),
        ('{"measurements": [{"metric": "texture", "day": 3, "delta": "a lot", "mdc": 1}]}', "must be numbers"),
        ('{"measurements": [{"metric": "glow", "day": 3, "delta": 1, "mdc": 1, "before": 1}]}', "unknown metric"),
        ('{"measurements": [{"metric": "texture", "date": "2027-13-01", "delta": 1, "mdc": 1}]}', "not a real date"),
        ('{"measurements": [], "extra": 1}', "unknown key 'extra'"),
        ('{"measurements": []}', "no measurements"),
    ],
)
def test_broken_measurement_files_give_one_line_and_status_2(
    capsys, plan: Path, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "m.json"
    path.write_text(content)
    status, _, err = run(capsys, "progress", str(path), "--plan", str(plan))
    assert status == 2 and message in err and err.count("\n") == 1


def test_a_file_that_is_not_a_plan_gives_status_2(capsys, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{"hello": "world"}')
    status, _, err = run(capsys, "expect", "--plan", str(path))
    assert status == 2 and "not a dermadelta plan" in err
