"""Rules files: the packaged knowledge loads; broken files are refused with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dermadelta.errors import InputError
from dermadelta.protocol.rulebook import load_rulebook, packaged_rules_dir

DESIGN_FACE_ZONES = {
    "forehead",
    "nose",
    "left_cheek",
    "right_cheek",
    "chin",
    "perioral",
    "left_periorbital",
    "right_periorbital",
}


NOSE = '[zone.nose]\nlabel = "Nose"\nregion = "{region}"\nmin_mm = {low}\nmax_mm = {high}\nsource = "x"\n'


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def packaged(name: str) -> str:
    return (packaged_rules_dir() / name).read_text(encoding="utf-8")


def test_it_loads_the_packaged_knowledge() -> None:
    book = load_rulebook()
    assert DESIGN_FACE_ZONES <= set(book.zones)
    assert {"neck", "decolletage", "hands", "abdomen", "thighs", "buttocks", "arms"} <= set(book.zones)
    assert {
        "acne_scars_rolling",
        "acne_scars_boxcar",
        "acne_scars_icepick",
        "fine_lines",
        "wrinkles",
        "texture",
        "enlarged_pores",
        "hyperpigmentation",
        "stretch_marks_red",
        "stretch_marks_white",
        "laxity",
        "dull_tone",
    } == set(book.concerns)
    assert {"pen", "roller", "at_home"} == set(book.devices)


def test_every_rule_names_a_source() -> None:
    book = load_rulebook()
    items = [
        *book.zones.values(),
        *book.devices.values(),
        *book.concerns.values(),
        *book.addons.values(),
        *book.rules.values(),
        *book.depth_bands,
        *book.tasks.values(),
        book.session,
        book.timeline,
    ]
    cites = [source.cite for source in book.sources.values()]
    for item in items:
        # A readable citation of a listed source (or the clinic's own policy), never a file name.
        assert any(cite in item.source for cite in cites) or item.source.startswith("Clinic policy"), item


def test_every_listed_source_is_cited_by_a_rule() -> None:
    book = load_rulebook()
    cited = (
        " ".join(
            item.source
            for kind in (book.zones, book.devices, book.concerns, book.addons, book.rules, book.tasks)
            for item in kind.values()
        )
        + " ".join(band.source for band in book.depth_bands)
        + book.session.source
        + book.timeline.source
    )
    assert [s.id for s in book.sources.values() if s.cite not in cited] == []
    assert all(s.reference.strip() for s in book.sources.values())


@pytest.mark.parametrize(
    "citation",
    ["seeds/000_aab17d405ad6e2cf.txt (redness)", "DESIGN.md contraindications", "see notes.md", "Design notes: x"],
)
def test_it_refuses_a_source_that_names_a_file_or_the_design_notes(tmp_path: Path, citation: str) -> None:
    text = packaged("screening.toml").replace(
        "Singh and Yadav, Indian Dermatology Online Journal 2016 (neuromodulator within 2 weeks)", citation
    )
    path = write(tmp_path, "screening.toml", text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if citation in row)
    with pytest.raises(InputError, match=rf"screening\.toml:{line}: \[rule\.neuromodulator\] source names .*: cite"):
        load_rulebook([path])


def test_it_refuses_a_sources_file_without_sources(tmp_path: Path) -> None:
    path = write(tmp_path, "sources.toml", "[source]\n")
    with pytest.raises(InputError, match=r"no \[source\.\*\] tables"):
        load_rulebook([path])


def test_face_zone_depths_follow_design_md() -> None:
    # DESIGN.md: periorbital 0.2-0.3 mm; forehead, nose, upper lip superficial 0.25-0.5 mm.
    book = load_rulebook()
    assert (book.zone("left_periorbital").min_mm, book.zone("left_periorbital").max_mm) == (
        0.2,
        0.3,
    )
    for zone in ("forehead", "nose", "perioral"):
        assert book.zone(zone).max_mm == 0.5


def test_at_home_devices_stay_at_or_below_one_millimetre() -> None:
    # DESIGN.md: at-home devices <= 1.0 mm, usually much less.
    assert load_rulebook().device("at_home").max_mm <= 1.0


def test_depth_bands_cover_every_device_depth() -> None:
    book = load_rulebook()
    assert book.depth_bands[-1].max_mm >= max(d.max_mm for d in book.devices.values())


def test_it_refuses_malformed_toml_with_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "zones.toml", '[zone.forehead]\nlabel = "Forehead"\nmin_mm = = 0.2\n')
    with pytest.raises(InputError, match=r"zones\.toml:3: malformed TOML"):
        load_rulebook([path])


def test_it_refuses_an_unknown_zone_referenced_by_a_concern(tmp_path: Path) -> None:
    text = packaged("concerns.toml").replace(
        'zones = ["left_cheek", "right_cheek", "chin", "neck", "decolletage", "abdomen", "arms"]',
        'zones = ["left_cheek", "earlobe"]',
    )
    path = write(tmp_path, "concerns.toml", text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "earlobe" in row)
    with pytest.raises(
        InputError,
        match=rf"concerns\.toml:{line}: \[concern\.laxity\] references unknown zone 'earlobe'",
    ):
        load_rulebook([path])


def test_it_refuses_min_depth_above_max_depth(tmp_path: Path) -> None:
    text = packaged("zones.toml").replace("min_mm = 0.2\nmax_mm = 0.3", "min_mm = 0.4\nmax_mm = 0.3", 1)
    path = write(tmp_path, "zones.toml", text)
    line = text.splitlines().index("min_mm = 0.4") + 1
    with pytest.raises(InputError, match=rf"zones\.toml:{line}: .*min_mm 0.4 is above max_mm 0.3"):
        load_rulebook([path])


def test_it_refuses_a_rule_without_a_source(tmp_path: Path) -> None:
    text = packaged("screening.toml").replace(
        'source = "Alster and Graham, Dermatologic Surgery 2018; '
        'Singh and Yadav, Indian Dermatology Online Journal 2016 (neuromodulator within 2 weeks)"\n',
        "",
    )
    path = write(tmp_path, "screening.toml", text)
    line = text.splitlines().index("[rule.neuromodulator]") + 1
    with pytest.raises(InputError, match=rf"screening\.toml:{line}: \[rule\.neuromodulator\] is missing 'source'"):
        load_rulebook([path])


def test_it_refuses_a_rule_reading_an_unknown_question(tmp_path: Path) -> None:
    text = packaged("screening.toml").replace('question = "laser_last"', 'question = "laser_lastt"')
    path = write(tmp_path, "screening.toml", text)
    with pytest.raises(InputError, match=r"\[rule\.laser\] references unknown question 'laser_lastt'"):
        load_rulebook([path])


def test_it_refuses_a_date_rule_without_a_washout(tmp_path: Path) -> None:
    text = packaged("screening.toml").replace("washout_days = 30\n", "")
    path = write(tmp_path, "screening.toml", text)
    with pytest.raises(InputError, match=r"\[rule\.chemical_peel\] reads date question .* no washout"):
        load_rulebook([path])


def test_it_refuses_an_unknown_key_so_typos_do_not_pass_silently(tmp_path: Path) -> None:
    text = packaged("devices.toml").replace("max_mm = 2.5", "max_mm = 2.5\nmax_depth = 3.0")
    path = write(tmp_path, "devices.toml", text)
    with pytest.raises(InputError, match=r"devices\.toml:5: \[device\.pen\] has unknown key 'max_depth'"):
        load_rulebook([path])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            NOSE.format(region="face", low='"deep"', high="0.5"),
            "min_mm must be a number",
        ),
        (
            NOSE.format(region="moon", low="0.2", high="0.5"),
            "region must be one of face, body",
        ),
        (
            NOSE.format(region="face", low="0.2", high="1e308"),
            "max_mm must be between 0 and 100",
        ),
        (
            NOSE.format(region="face", low="0.2", high="nan"),
            "max_mm must be between 0 and 100",
        ),
        (
            '[zone.nose]\nlabel = ""\nregion = "face"\nmin_mm = 0.2\nmax_mm = 0.5\nsource = "x"\n',
            "label must be non-empty text",
        ),
        ('[zone."Nose Bridge"]\nlabel = "N"\n', "names are lower-case"),
        ("zone = 3\n", "must hold named tables"),
        ('[wizard.merlin]\nlabel = "x"\n', "unknown table [wizard]"),
        ("", "defines no rules tables"),
        ("# only a comment\n", "defines no rules tables"),
    ],
)
def test_it_refuses_hostile_and_edge_case_zone_files(tmp_path: Path, text: str, reason: str) -> None:
    path = write(tmp_path, "zones.toml", text)
    with pytest.raises(InputError, match=reason.replace("[", r"\[").replace("]", r"\]")):
        load_rulebook([path])


def test_it_refuses_binary_and_missing_files(tmp_path: Path) -> None:
    binary = tmp_path / "zones.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="not UTF-8"):
        load_rulebook([binary])
    with pytest.raises(InputError, match="cannot read rules file"):
        load_rulebook([tmp_path / "absent.toml"])


def test_an_override_file_replaces_its_kind_and_keeps_the_rest(tmp_path: Path) -> None:
    text = packaged("devices.toml").replace("max_mm = 0.5", "max_mm = 0.25")
    book = load_rulebook([write(tmp_path, "devices.toml", text)])
    assert book.device("at_home").max_mm == 0.25
    assert book.zones == load_rulebook().zones


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_randomly_damaged_rules_file_loads_or_is_refused_cleanly(tmp_path: Path, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["zones.toml", "concerns.toml", "screening.toml", "care.toml"]))
    lines = packaged(name).splitlines()
    index = data.draw(st.integers(0, len(lines) - 1))
    damage = data.draw(st.sampled_from(["delete", "garble", "duplicate"]))
    if damage == "delete":
        del lines[index]
    elif damage == "garble":
        junk = data.draw(st.text(alphabet='[]="\\.#x0-9 \t', max_size=8))
        lines[index] = lines[index][: len(lines[index]) // 2] + junk
    else:
        lines.insert(index, lines[index])
    path = write(tmp_path, name, "\n".join(lines) + "\n")
    try:
        load_rulebook([path])
    except InputError as error:
        assert str(error).startswith(f"{path}:") or "no rules file defines" in str(error)
