"""Plans: depths within caps, spacing, working days, washouts and event dates."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dermadelta.errors import InputError
from dermadelta.protocol.plan import Target, make_plan, parse_targets
from dermadelta.protocol.rulebook import load_rulebook
from dermadelta.protocol.screening import add_months, parse_intake, screen

BOOK = load_rulebook()
START = dt.date(2027, 1, 11)  # a Monday


def plan(*specs: str, **options):
    return make_plan(parse_targets(specs), start=options.pop("start", START), **options)


def test_it_defaults_to_the_concerns_series_four_weeks_apart() -> None:
    # seeds/002_fc46e1b555cab0c9.txt: 3-6 treatments, 4-6 weeks apart.
    result = plan("acne_scars_rolling:left_cheek")
    assert len(result.sessions) == BOOK.concern("acne_scars_rolling").sessions_default == 4
    gaps = {(b.date - a.date).days for a, b in zip(result.sessions, result.sessions[1:], strict=False)}
    assert gaps == {28}


def test_it_ramps_depth_from_the_low_to_the_high_end_of_the_range() -> None:
    # DESIGN.md: 1.5-2.0 mm for deeper acne scars; cheek cap 2.0 mm.
    depths = [s.depths[0].depth_mm for s in plan("acne_scars_rolling:left_cheek").sessions]
    assert depths == [1.5, 1.75, 2.0, 2.0]


def test_a_zone_cap_limits_a_deep_concern() -> None:
    # DESIGN.md: forehead superficial 0.25-0.5 mm even for acne scars.
    result = plan("acne_scars_rolling:forehead")
    assert max(s.max_depth_mm for s in result.sessions) == 0.5


def test_a_device_cap_limits_every_zone() -> None:
    # DESIGN.md: at-home devices <= 1.0 mm; devices.toml caps them at 0.5 mm.
    result = plan("stretch_marks_red:abdomen", device="at_home")
    assert max(s.max_depth_mm for s in result.sessions) == 0.5


def test_it_refuses_an_explicit_depth_above_the_zone_cap() -> None:
    with pytest.raises(InputError, match="above the zone cap of 0.3 mm"):
        plan("fine_lines:left_periorbital", depth_mm={"left_periorbital": 0.5})


def test_it_refuses_an_explicit_depth_above_the_device_cap() -> None:
    with pytest.raises(InputError, match="above the device cap of 2.0 mm"):
        plan("stretch_marks_white:thighs", device="roller", depth_mm={"thighs": 2.5})


def test_an_explicit_depth_within_the_caps_is_kept_for_every_session() -> None:
    result = plan("acne_scars_boxcar:left_cheek", depth_mm={"left_cheek": 1.2})
    assert {s.depths[0].depth_mm for s in result.sessions} == {1.2}


@pytest.mark.parametrize("depth", [0.0, -1.0, float("nan"), float("inf")])
def test_it_refuses_nonsense_depths(depth: float) -> None:
    with pytest.raises(InputError):
        plan("texture:nose", depth_mm={"nose": depth})


def test_it_refuses_a_concern_in_a_zone_where_it_is_not_treated() -> None:
    with pytest.raises(InputError, match="Stretch marks: red.* is not treated on the forehead"):
        plan("stretch_marks_red:forehead")


def test_it_refuses_unknown_concerns_zones_devices_and_addons() -> None:
    with pytest.raises(InputError, match="unknown concern 'freckles'"):
        plan("freckles")
    with pytest.raises(InputError, match="unknown zone 'eyelid'"):
        plan("fine_lines:eyelid")
    with pytest.raises(InputError, match="unknown device 'laser'"):
        plan("texture:nose", device="laser")
    with pytest.raises(InputError, match="unknown add-on 'gold'"):
        plan("texture:nose", addons=["gold"])


def test_it_refuses_an_interval_below_the_minimum() -> None:
    # seeds/001_daaf24367db97302.txt: every 4 to 6 weeks.
    with pytest.raises(InputError, match="below the minimum of 4 weeks"):
        plan("texture:nose", interval_weeks=2)


def test_it_refuses_more_sessions_than_the_concern_allows() -> None:
    with pytest.raises(InputError, match="between 1 and 4"):
        plan("texture:nose", sessions=9)


def test_conservative_keeps_depth_in_the_lower_half() -> None:
    depths = [s.depths[0].depth_mm for s in plan("acne_scars_rolling:left_cheek", conservative=True).sessions]
    assert max(depths) == 1.75


def test_darker_skin_screening_makes_the_plan_conservative() -> None:
    screening = screen(parse_intake({"date": "2027-01-10", "zones": ["left_cheek"], "answers": {"fitzpatrick": "V"}}))
    result = plan("acne_scars_rolling:left_cheek", screening=screening)
    assert max(s.max_depth_mm for s in result.sessions) == 1.75


def test_sessions_fall_on_working_days_and_skip_closed_dates() -> None:
    result = plan(
        "texture:nose",
        start=dt.date(2027, 1, 9),
        working_days=(1, 3),
        closed_dates=[dt.date(2027, 1, 12)],
    )
    assert result.sessions[0].date == dt.date(2027, 1, 14)  # Sat 9th -> Tue 12th closed -> Thu 14th
    assert all(s.date.weekday() in (1, 3) for s in result.sessions)


def test_it_starts_after_the_screening_washout() -> None:
    screening = screen(
        parse_intake(
            {
                "date": "2027-01-10",
                "zones": ["nose"],
                "answers": {"isotretinoin_last_dose": "2026-09-30"},
            }
        )
    )
    result = plan("texture:nose", screening=screening)
    assert result.sessions[0].date == dt.date(2027, 3, 30)


def test_it_refuses_to_plan_after_a_referral() -> None:
    screening = screen(parse_intake({"date": "2027-01-10", "zones": ["nose"], "answers": {"keloid_history": True}}))
    with pytest.raises(InputError, match="verdict is refer"):
        plan("texture:nose", screening=screening)


def test_maintenance_follows_six_to_twelve_months_after_the_last_session() -> None:
    # DESIGN.md: maintenance every 6-12 months.
    result = plan("texture:nose")
    last = result.sessions[-1].date
    six_months = add_months(last, 6)
    assert six_months <= result.maintenance_from <= six_months + dt.timedelta(days=3)
    assert result.maintenance_from.weekday() < 5
    assert result.maintenance_until == add_months(last, 12)


def test_a_wedding_far_enough_away_keeps_the_plan() -> None:
    result = plan("texture:nose", event=dt.date(2027, 6, 5))
    assert result.event_fit is not None and result.event_fit.feasible
    # seeds/003_375cff799373794a.txt: visible results 2-4 weeks after a session.
    assert (dt.date(2027, 6, 5) - result.sessions[-1].date).days >= 28


def test_a_close_wedding_compresses_the_series_back_from_the_event() -> None:
    result = plan("texture:nose", interval_weeks=6, event=dt.date(2027, 4, 10))
    assert result.event_fit is not None and result.event_fit.feasible
    assert (dt.date(2027, 4, 10) - result.sessions[-1].date).days >= 28
    assert len(result.sessions) == 3


def test_a_wedding_too_soon_says_why_and_keeps_sessions_out_of_the_last_four_weeks() -> None:
    event = dt.date(2027, 2, 20)
    result = plan("acne_scars_rolling:left_cheek", event=event)
    fit = result.event_fit
    assert fit is not None and not fit.feasible
    assert "need 112 days, only 40" in fit.reason
    for session in result.sessions:
        assert not (event - dt.timedelta(days=28) < session.date <= event)


def test_an_event_before_the_start_is_refused() -> None:
    with pytest.raises(InputError, match="not after the first possible session"):
        plan("texture:nose", event=dt.date(2026, 12, 25))


# --- properties ---------------------------------------------------------------

CONCERNS = sorted(BOOK.concerns)


@st.composite
def plan_requests(draw: st.DrawFn):
    concern = BOOK.concern(draw(st.sampled_from(CONCERNS)))
    zones = draw(st.lists(st.sampled_from(concern.zones), min_size=1, max_size=3, unique=True))
    device = draw(st.sampled_from(sorted(BOOK.devices)))
    start = draw(st.dates(dt.date(2026, 1, 1), dt.date(2030, 12, 31)))
    working = draw(st.sets(st.integers(0, 6), min_size=1))
    closed = draw(st.lists(st.dates(start, start + dt.timedelta(days=200)), max_size=10))
    sessions = draw(st.none() | st.integers(1, concern.sessions_max))
    interval = draw(st.none() | st.integers(concern.interval_weeks_min, 10))
    event = draw(st.none() | st.dates(start + dt.timedelta(days=7), start + dt.timedelta(days=400)))
    washout = draw(st.none() | st.dates(start - dt.timedelta(days=200), start))
    return (
        Target(concern.id, tuple(zones)),
        dict(
            device=device,
            start=start,
            working_days=working,
            closed_dates=closed,
            sessions=sessions,
            interval_weeks=interval,
            event=event,
            conservative=draw(st.booleans()),
        ),
        washout,
    )


@settings(max_examples=60, deadline=None)
@given(plan_requests())
def test_no_plan_exceeds_a_cap_crowds_sessions_or_lands_in_a_washout(request) -> None:
    target, options, isotretinoin = request
    answers = {"isotretinoin_last_dose": isotretinoin.isoformat()} if isotretinoin else {}
    screening = screen(
        parse_intake({"date": options["start"].isoformat(), "zones": list(target.zones), "answers": answers})
    )
    try:
        result = make_plan([target], screening=screening, **options)
    except InputError as error:
        # The only refusal allowed for valid requests: an event that leaves no time at all.
        assert "not after the first possible session" in str(error)
        return
    device_cap = BOOK.device(options["device"]).max_mm
    min_gap = BOOK.concern(target.concern).interval_weeks_min * 7
    for session in result.sessions:
        assert session.date.weekday() in options["working_days"]
        assert session.date not in options["closed_dates"]
        assert session.date >= options["start"]
        if screening.earliest_date is not None:
            assert session.date >= screening.earliest_date
        for depth in session.depths:
            assert 0 < depth.depth_mm <= min(BOOK.zone(depth.zone).max_mm, device_cap) + 1e-9
    for earlier, later in zip(result.sessions, result.sessions[1:], strict=False):
        assert (later.date - earlier.date).days >= min_gap
    if result.event_fit is not None and result.event_fit.feasible:
        assert (result.event_fit.event - result.sessions[-1].date).days >= 28


@pytest.mark.parametrize("concern_id", CONCERNS)
def test_each_concern_plans_its_usual_series_within_its_depth_range(concern_id: str) -> None:
    concern = BOOK.concern(concern_id)
    result = make_plan([Target(concern.id, concern.zones)], start=START)
    assert len(result.sessions) == concern.sessions_default, concern.source
    assert result.min_interval_days == 7 * concern.interval_weeks_min, concern.source
    for session in result.sessions:
        for depth in session.depths:
            zone = BOOK.zone(depth.zone)
            ceiling = min(concern.max_mm, zone.max_mm, BOOK.device("pen").max_mm)
            floor = min(max(concern.min_mm, zone.min_mm), ceiling)
            assert floor - 0.05 < depth.depth_mm <= ceiling, (concern.source, zone.source)
