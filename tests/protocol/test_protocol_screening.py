"""Screening: every rule fires on its trigger, names its source, and washouts are calendar dates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dermadelta.errors import InputError
from dermadelta.protocol.rulebook import load_rulebook
from dermadelta.protocol.screening import add_months, parse_intake, screen

TODAY = dt.date(2027, 1, 10)
CHEEKS = ["left_cheek", "right_cheek"]


def run(answers: dict[str, Any], zones: list[str] = CHEEKS, on: dt.date = TODAY):
    return screen(parse_intake({"date": on.isoformat(), "zones": zones, "answers": answers}))


# (rule, answers, expected outcome, expected "until" date or None, the source it cites)
RULE_CASES = [
    (
        "pregnancy",
        {"pregnant_or_breastfeeding": True},
        "defer",
        None,
        "Alster and Graham, Dermatologic Surgery 2018",
    ),
    (
        "active_infection",
        {"active_infection": True},
        "defer",
        dt.date(2027, 1, 24),
        "active infection",
    ),
    ("active_cold_sore", {"active_cold_sore": True}, "defer", dt.date(2027, 1, 24), "cold sore"),
    ("hsv_history", {"hsv_history": True}, "caution", None, "a history of cold sores"),
    ("active_acne", {"active_acne": True}, "defer", dt.date(2027, 2, 7), "active acne"),
    (
        "dermatosis_flare",
        {"dermatosis_flare": True},
        "defer",
        dt.date(2027, 2, 7),
        "eczema, psoriasis or rosacea",
    ),
    (
        "isotretinoin",
        {"isotretinoin_last_dose": "2026-10-01"},
        "defer",
        dt.date(2027, 4, 1),
        "isotretinoin within 6 months",
    ),
    (
        "anticoagulants",
        {"anticoagulants": True},
        "refer",
        None,
        "anticoagulants or a bleeding disorder",
    ),
    (
        "bleeding_disorder",
        {"bleeding_disorder": True},
        "refer",
        None,
        "anticoagulants or a bleeding disorder",
    ),
    ("keloid_history", {"keloid_history": True}, "refer", None, "keloid or hypertrophic"),
    (
        "chemo_or_radiotherapy",
        {"chemo_or_radiotherapy_last": "2026-12-01"},
        "defer",
        dt.date(2027, 3, 1),
        "radiotherapy within 3 months",
    ),
    (
        "uncontrolled_diabetes",
        {"uncontrolled_diabetes": True},
        "refer",
        None,
        "uncontrolled diabetes",
    ),
    (
        "suspicious_lesions",
        {"suspicious_lesions": ["left_cheek"]},
        "refer",
        None,
        "suspicious lesions",
    ),
    (
        "allergy_stainless_steel",
        {"allergy_stainless_steel": True},
        "refer",
        None,
        "stainless steel",
    ),
    (
        "allergy_topical_anaesthetic",
        {"allergy_topical_anaesthetic": True},
        "caution",
        None,
        "topical anaesthetic",
    ),
    (
        "chemical_peel",
        {"chemical_peel_last": "2026-12-20"},
        "defer",
        dt.date(2027, 1, 19),
        "chemical peel within 30 days",
    ),
    (
        "laser",
        {"laser_last": "2027-01-05"},
        "defer",
        dt.date(2027, 1, 19),
        "“How microneedling works”",
    ),
    (
        "filler_or_surgery",
        {"filler_or_surgery": {"right_cheek": "2026-09-15"}},
        "defer",
        dt.date(2027, 3, 15),
        "filler or surgery in the area",
    ),
    (
        "neuromodulator",
        {"neuromodulator_last": "2027-01-01"},
        "defer",
        dt.date(2027, 1, 15),
        "neuromodulator within 2 weeks",
    ),
    ("sunburn", {"sunburn_last": "2027-01-08"}, "defer", dt.date(2027, 1, 22), "sunburn"),
    (
        "darker_skin_pih",
        {"fitzpatrick": "V"},
        "caution",
        None,
        "post-inflammatory hyperpigmentation",
    ),
    ("minor", {"age": 16}, "refer", None, "Clinic policy"),
]


def test_every_packaged_rule_has_a_case_here() -> None:
    assert {case[0] for case in RULE_CASES} == set(load_rulebook().rules)


@pytest.mark.parametrize(
    ("rule_id", "answers", "outcome", "until", "source"),
    RULE_CASES,
    ids=[case[0] for case in RULE_CASES],
)
def test_each_rule_fires_on_its_trigger_and_cites_its_source(
    rule_id: str, answers: dict[str, Any], outcome: str, until: dt.date | None, source: str
) -> None:
    result = run(answers)
    (finding,) = [f for f in result.findings if f.rule_id == rule_id]
    assert finding.outcome == outcome
    assert finding.until == until
    assert source in finding.source
    assert result.verdict == outcome


def _all_clear() -> dict[str, Any]:
    """A complete intake with nothing to report: every yes/no question answered no."""
    book = load_rulebook()
    answers: dict[str, Any] = {"age": 40, "fitzpatrick": "II", "isotretinoin_last_dose": "2025-01-01"}
    for question in book.questions.values():
        if question.type == "boolean":
            answers.setdefault(question.id, False)
        elif question.type == "zones":
            answers.setdefault(question.id, [])
        elif question.type == "choice":
            answers.setdefault(question.id, question.choices[0])
    return answers


def test_it_says_go_when_nothing_fires() -> None:
    result = run(_all_clear())
    assert result.verdict == "go", [f.reason for f in result.findings]
    assert result.findings == ()
    assert result.treatable_from == TODAY


def test_unanswered_safety_questions_are_never_a_go() -> None:
    # An unasked contraindication is unknown, not absent; empty dates mean "never".
    answers = _all_clear()
    del answers["pregnant_or_breastfeeding"]
    result = run(answers)
    assert result.verdict == "caution"
    (finding,) = result.findings
    assert finding.rule_id == "unanswered_questions"
    assert finding.reason.startswith("1 screening question not answered (Are you pregnant or breastfeeding?)")
    assert "pregnant_or_breastfeeding" not in finding.reason  # the question people read, not its code


def test_it_defers_after_isotretinoin_until_six_months() -> None:
    # DESIGN.md: isotretinoin within 6 months; calendar months, not 180 days.
    result = run({"isotretinoin_last_dose": "2026-08-31"})
    assert result.verdict == "defer"
    assert result.earliest_date == dt.date(2027, 2, 28)


def test_isotretinoin_six_months_ago_and_one_day_is_clear() -> None:
    assert run({**_all_clear(), **{"isotretinoin_last_dose": "2026-07-09"}}).verdict == "go"
    assert run({**_all_clear(), **{"isotretinoin_last_dose": "2026-07-10"}}).verdict == "go"  # washout ends today
    assert run({"isotretinoin_last_dose": "2026-07-11"}).verdict == "defer"


def test_month_arithmetic_clamps_to_the_end_of_the_month() -> None:
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2027, 8, 31), 6) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2026, 12, 15), 1) == dt.date(2027, 1, 15)


def test_the_latest_washout_decides_the_earliest_date() -> None:
    result = run(
        {
            "chemical_peel_last": "2027-01-01",
            "neuromodulator_last": "2027-01-09",
            "isotretinoin_last_dose": "2026-08-01",
        }
    )
    assert result.earliest_date == dt.date(2027, 2, 1)


def test_a_filler_in_an_untreated_zone_does_not_defer() -> None:
    assert run({**_all_clear(), **{"filler_or_surgery": {"perioral": "2026-12-01"}}}).verdict == "go"


def test_a_suspicious_mole_outside_the_treated_zones_does_not_refer() -> None:
    assert run({**_all_clear(), **{"suspicious_lesions": ["nose"]}}).verdict == "go"


def test_refer_outranks_defer_and_caution() -> None:
    result = run({"anticoagulants": True, "chemical_peel_last": "2027-01-01", "hsv_history": True})
    assert result.verdict == "refer"
    assert result.treatable_from is None


def test_pregnancy_defers_without_a_date() -> None:
    result = run({"pregnant_or_breastfeeding": True, "chemical_peel_last": "2027-01-01"})
    assert result.verdict == "defer"
    assert result.earliest_date is None


def test_darker_skin_asks_the_plan_for_conservative_depths() -> None:
    assert "conservative_depth" in run({"fitzpatrick": "VI"}).plan_effects
    assert run({"fitzpatrick": "III"}).plan_effects == frozenset()


def test_empty_answers_mean_never() -> None:
    assert run({**_all_clear(), **{"isotretinoin_last_dose": "", "laser_last": None}}).verdict == "go"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a JSON object"),
        ({"answers": []}, "'answers' must be an object"),
        ({"answerz": {}}, "unknown key 'answerz'"),
        ({"answers": {"favourite_colour": "blue"}}, "unknown intake question 'favourite_colour'"),
        ({"answers": {"hsv_history": "yes"}}, "must be true or false"),
        ({"answers": {"age": 12.5}}, "whole number"),
        ({"answers": {"age": True}}, "whole number"),
        ({"answers": {"age": 400}}, "whole number"),
        ({"answers": {"fitzpatrick": "VII"}}, "must be one of I, II"),
        ({"answers": {"isotretinoin_last_dose": "2026-02-30"}}, "not a real date"),
        ({"answers": {"isotretinoin_last_dose": 20260101}}, "expected a date"),
        ({"answers": {"isotretinoin_last_dose": "2027-06-01"}}, "after the consultation date"),
        ({"answers": {"filler_or_surgery": {"earlobe": "2026-01-01"}}}, "unknown zone 'earlobe'"),
        ({"answers": {"filler_or_surgery": ["left_cheek"]}}, "zone: date"),
        ({"answers": {"suspicious_lesions": "nose"}}, "list of zone names"),
        ({"zones": ["moon"], "answers": {}}, "unknown zone 'moon'"),
        ({"date": "tomorrow", "answers": {}}, "not a real date"),
    ],
)
def test_it_refuses_broken_intake_with_a_clear_message(data: Any, message: str) -> None:
    data = {"date": "2027-01-10", **data} if isinstance(data, dict) and "date" not in data else data
    with pytest.raises(InputError, match=message):
        parse_intake(data)


def test_it_lists_unanswered_questions() -> None:
    result = run({"age": 30})
    assert "pregnant_or_breastfeeding" in result.unanswered
    assert "age" not in result.unanswered


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | st.sampled_from(["2026-12-01", "left_cheek", "IV", "2027-02-29"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["left_cheek", "nose", "x"]), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=80, deadline=None)
@given(answers=st.dictionaries(st.sampled_from(sorted(load_rulebook().questions)), JSON_VALUES, max_size=5))
def test_any_json_answers_either_screen_or_are_refused_with_input_error(answers: dict[str, Any]) -> None:
    try:
        intake = parse_intake({"date": "2027-01-10", "zones": CHEEKS, "answers": answers})
    except InputError:
        return
    assert screen(intake).verdict in ("go", "caution", "defer", "refer")


def test_date_questions_are_worded_for_the_form_and_the_command_line_alike():
    """The form answers "never" with a tick and an intake file by leaving the date out: the question names neither."""
    dated = [q for q in load_rulebook().questions.values() if q.type == "date"]

    assert dated
    for question in dated:
        words = question.text.lower()
        assert "empty" not in words and "tick" not in words, question.text
        assert question.text.endswith("?"), question.text
