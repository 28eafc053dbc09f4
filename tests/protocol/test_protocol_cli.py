"""The screen, plan, intake and rules commands: outputs, files, one-line errors with status 2."""

from __future__ import annotations

import json
from pathlib import Path

import icalendar
import pytest

from dermadelta import cli


@pytest.fixture(autouse=True)
def only_protocol_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    # The imaging commands are another module's concern; keep these tests independent of them.
    monkeypatch.setattr(cli, "COMMAND_MODULES", ("dermadelta.commands.protocol",))


@pytest.fixture
def intake(tmp_path: Path) -> Path:
    path = tmp_path / "intake.json"
    path.write_text(
        json.dumps(
            {
                "date": "2027-01-10",
                "zones": ["left_cheek"],
                "answers": {"age": 34, "fitzpatrick": "II", "isotretinoin_last_dose": "2026-09-15"},
            }
        )
    )
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_screen_prints_the_verdict_and_the_date(capsys, intake: Path) -> None:
    status, out, _ = run(capsys, "screen", str(intake))
    assert status == 0
    assert out.startswith("Deferred until 2027-03-15")  # the verdict in words, never the code
    assert "isotretinoin" not in out.split("\n")[0] and "_" not in out.split("\n")[0]


def test_screen_json_is_the_library_result(capsys, intake: Path) -> None:
    status, out, _ = run(capsys, "screen", str(intake), "--json", "--zones", "nose")
    data = json.loads(out)
    assert status == 0 and data["verdict"] == "defer" and data["zones"] == ["nose"]


def test_screen_takes_the_consultation_date_from_on_and_never_assumes_today(capsys, tmp_path: Path) -> None:
    path = tmp_path / "undated.json"
    path.write_text(json.dumps({"zones": ["left_cheek"], "answers": {"isotretinoin_last_dose": "2026-09-15"}}))
    status, _, err = run(capsys, "screen", str(path))
    assert status == 2 and "--on" in err
    for flag in ("--on", "--date"):  # --date is the older name
        status, out, _ = run(capsys, "screen", str(path), flag, "2027-01-10", "--json")
        assert status == 0 and json.loads(out)["earliest_date"] == "2027-03-15"


def test_rest_are_no_answers_what_the_file_leaves_out_and_keeps_what_it_says(capsys, tmp_path: Path) -> None:
    path = tmp_path / "healthy.json"
    answers = {"age": 34, "fitzpatrick": "II", "sun_exposure": "low"}
    path.write_text(json.dumps({"date": "2027-01-10", "zones": ["left_cheek"], "answers": answers}))
    status, out, _ = run(capsys, "screen", str(path))
    assert status == 0 and out.startswith("Suitable with caution") and "not answered" in out
    status, out, _ = run(capsys, "screen", str(path), "--rest-are-no")
    assert status == 0 and out.startswith("Suitable ") and "caution" not in out and "not answered" not in out
    # An answer the file gives is kept: a yes still counts.
    path.write_text(
        json.dumps({"date": "2027-01-10", "zones": ["left_cheek"], "answers": {**answers, "keloid_history": True}})
    )
    status, out, _ = run(capsys, "screen", str(path), "--rest-are-no", "--json")
    assert status == 0 and json.loads(out)["verdict"] == "refer"
    # Choices and numbers are never guessed.
    path.write_text(json.dumps({"date": "2027-01-10", "zones": ["left_cheek"], "answers": {}}))
    status, out, _ = run(capsys, "screen", str(path), "--rest-are-no", "--json")
    assert {"age", "fitzpatrick", "sun_exposure"} <= set(json.loads(out)["unanswered"])


def test_plan_notes_a_zone_whose_cap_keeps_a_concern_below_its_range(capsys) -> None:
    status, out, _ = run(capsys, "plan", "--concern", "wrinkles", "--start", "2027-01-11")
    assert status == 0
    capped = [line for line in out.splitlines() if "below its usual 1.5-2.0 mm" in line]
    assert capped and all(line.startswith("note: on the ") for line in capped)
    assert not any("cheek" in line for line in capped)  # the cheeks take 2.0 mm


def test_plan_reads_a_bare_depth_as_every_zone_not_named(capsys) -> None:
    status, out, _ = run(
        capsys,
        "plan",
        "--concern",
        "texture:nose,forehead,left_cheek",
        "--start",
        "2027-01-11",
        "--depth",
        "0.4",
        "--depth",
        "left_cheek=0.8",
        "--json",
    )
    assert status == 0
    for session in json.loads(out)["plan"]["sessions"]:
        depths = {d["zone"]: d["depth_mm"] for d in session["depths"]}
        assert depths == {"nose": 0.4, "forehead": 0.4, "left_cheek": 0.8}


def test_plan_writes_json_ics_and_html(capsys, intake: Path, tmp_path: Path) -> None:
    ics, html = tmp_path / "plan.ics", tmp_path / "handout.html"
    status, out, _ = run(
        capsys,
        "plan",
        "--concern",
        "acne_scars_rolling:left_cheek",
        "--start",
        "2027-01-10",
        "--intake",
        str(intake),
        "--tz",
        "Europe/London",
        "--json",
        "--ics",
        str(ics),
        "--html",
        str(html),
    )
    data = json.loads(out)
    assert status == 0
    assert data["plan"]["sessions"][0]["date"] == "2027-03-15"
    assert data["screening"]["verdict"] == "defer"
    assert len(icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")) > 4
    assert "Session 1: 2027-03-15" in html.read_text()


def test_intake_exports_the_fhir_questionnaire_and_response(capsys, intake: Path) -> None:
    status, out, _ = run(capsys, "intake")
    assert status == 0 and json.loads(out)["resourceType"] == "Questionnaire"
    status, out, _ = run(capsys, "intake", str(intake))
    assert status == 0 and json.loads(out)["resourceType"] == "QuestionnaireResponse"


def test_rules_check_accepts_the_packaged_files(capsys) -> None:
    from dermadelta.protocol.rulebook import packaged_rules_dir

    status, out, _ = run(capsys, "rules", "check", *map(str, sorted(packaged_rules_dir().glob("*.toml"))))
    assert status == 0 and out.startswith("ok: 15 zones")


def test_rules_list_shows_sources(capsys) -> None:
    status, out, _ = run(capsys, "rules", "list", "rules")
    assert status == 0 and "isotretinoin" in out and "Dermatologic Surgery 2018" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plan", "--concern", "freckles", "--start", "2027-01-10"], "unknown concern 'freckles'"),
        (
            ["plan", "--concern", "texture:earlobe", "--start", "2027-01-10"],
            "unknown zone 'earlobe'",
        ),
        (["plan", "--concern", "texture", "--start", "2027-02-30"], "not a real date"),
        (
            ["plan", "--concern", "texture:nose", "--start", "2027-01-10", "--depth", "nose=0.75"],
            "above the zone cap of 0.5 mm",
        ),
        (
            ["plan", "--concern", "texture:nose", "--start", "2027-01-10", "--depth", "nose"],
            "ZONE=MILLIMETRES",
        ),
        (
            ["plan", "--concern", "texture:nose", "--start", "2027-01-10", "--event", "2026-01-01"],
            "not after the first possible session",
        ),
        (
            [
                "plan",
                "--concern",
                "texture:nose",
                "--start",
                "2027-01-10",
                "--working-days",
                "mon-funday",
            ],
            "working days",
        ),
        (
            ["plan", "--concern", "texture:nose", "--start", "2027-01-10", "--tz", "Nowhere/Land"],
            "unknown time zone",
        ),
        (
            ["plan", "--concern", "texture:nose", "--start", "2027-01-10", "--pdf", "out.docx"],
            "must end in .html or .pdf",
        ),
    ],
)
def test_bad_arguments_give_one_line_and_status_2(capsys, argv: list[str], message: str) -> None:
    status, out, err = run(capsys, *argv)
    assert status == 2
    assert message in err
    assert err.count("\n") == 1 and err.startswith("dermadelta: error: ")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "malformed JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"", "malformed JSON"),
        (b'{"date": "2027-01-10", "answers": {"age": 1e999}}', "whole number"),
        (b"\xff\xfe binary", "not UTF-8"),
        (b"[1, 2, 3]", "must be a JSON object"),
        (b'{"date": "2027-01-10", "answers": {"age": "old"}}', "whole number"),
        (b'{"answers": {"age": 30}}', "no consultation date: give --on YYYY-MM-DD"),
        (
            b'{"date": "2027-01-10", "answers": {"laser_last": "2030-01-01"}}',
            "after the consultation date",
        ),
    ],
)
def test_broken_intake_files_give_one_line_and_status_2(capsys, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "intake.json"
    path.write_bytes(content)
    status, _, err = run(capsys, "screen", str(path))
    assert status == 2 and message in err and err.count("\n") == 1


def test_a_missing_intake_file_gives_status_2(capsys, tmp_path: Path) -> None:
    status, _, err = run(capsys, "screen", str(tmp_path / "absent.json"))
    assert status == 2 and "cannot read" in err


def test_a_broken_rules_file_gives_its_line_and_status_2(capsys, tmp_path: Path) -> None:
    path = tmp_path / "zones.toml"
    path.write_text('[zone.nose]\nlabel = "Nose"\nmin_mm = 0.5\nmax_mm = 0.25\n')
    status, _, err = run(capsys, "rules", "check", str(path))
    assert status == 2 and f"{path}:3:" in err
