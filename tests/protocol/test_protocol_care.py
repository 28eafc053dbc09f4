"""Care schedules: tasks by day offset around every session, longer after deeper needles."""

from __future__ import annotations

import datetime as dt

import pytest

from dermadelta.protocol.care import care_schedule, session_care, task_days
from dermadelta.protocol.plan import make_plan, parse_targets
from dermadelta.protocol.rulebook import load_rulebook

DAY = dt.date(2027, 3, 1)


def by_task(depth: float) -> dict[str, tuple[dt.date, dt.date]]:
    return {i.task_id: (i.first, i.last) for i in session_care(1, DAY, depth).items}


def test_it_stops_actives_five_days_before_the_session() -> None:
    # seeds/004_ad630b638829f710.txt and DESIGN.md: stop retinoids, vitamin C 3-5 days before.
    assert by_task(0.5)["stop_actives"] == (DAY - dt.timedelta(days=5), DAY - dt.timedelta(days=1))


def test_no_make_up_and_no_sauna_for_48_hours_at_shallow_depth() -> None:
    # seeds/000_aab17d405ad6e2cf.txt: at least 24-48 hours.
    tasks = by_task(0.5)
    assert tasks["no_makeup"] == (DAY, DAY + dt.timedelta(days=1))
    assert tasks["no_sweat_heat_swim"] == (DAY, DAY + dt.timedelta(days=1))


def test_mineral_spf_for_two_weeks_from_day_one() -> None:
    # DESIGN.md: SPF 30+ mineral from day 1 and strict sun avoidance 2 weeks.
    assert by_task(1.0)["mineral_spf"] == (DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=14))


def test_two_millimetres_means_longer_downtime_than_half_a_millimetre() -> None:
    # seeds/003_375cff799373794a.txt: redness 1-2 days; DESIGN.md: deeper needles longer.
    shallow, deep = session_care(1, DAY, 0.5), session_care(1, DAY, 2.0)
    assert shallow.downtime_days == 1 and deep.downtime_days == 4
    assert by_task(2.0)["no_makeup"][1] > by_task(0.5)["no_makeup"][1]
    assert by_task(2.0)["actives_back"][0] == DAY + dt.timedelta(days=8)
    assert by_task(0.5)["actives_back"][0] == DAY + dt.timedelta(days=5)


def test_flaking_is_expected_within_days_three_to_seven_at_medium_depth() -> None:
    # seeds/003_375cff799373794a.txt: dryness and flaking days 3-7.
    first, last = by_task(1.0)["expect_flaking"]
    assert (first - DAY).days >= 3 and (last - DAY).days <= 7


def test_pinpoint_bleeding_care_only_at_deeper_depths() -> None:
    # seeds/000_aab17d405ad6e2cf.txt: pinpoint bleeding expected with deeper needles.
    assert "pinpoint_bleeding_care" in by_task(1.5)
    assert "pinpoint_bleeding_care" not in by_task(1.0)


def test_every_session_of_a_plan_gets_its_own_care_by_its_deepest_needle() -> None:
    plan = make_plan(parse_targets(["acne_scars_rolling:left_cheek,forehead"]), start=DAY)
    care = care_schedule(plan)
    assert [c.session for c in care.sessions] == [1, 2, 3, 4]
    assert [c.depth_mm for c in care.sessions] == [s.max_depth_mm for s in plan.sessions]
    assert all(item.source for item in care.items)
    assert care.to_dict()["sessions"][0]["depth_band"] == "deep"


@pytest.mark.parametrize("task_id", sorted(load_rulebook().tasks))
def test_each_care_task_lands_on_its_day_offsets_with_its_source(task_id: str) -> None:
    task = load_rulebook().tasks[task_id]
    depth = max(task.min_mm, 2.0)
    band = load_rulebook().depth_band(depth)
    (item,) = [i for i in session_care(1, DAY, depth).items if i.task_id == task_id]
    first, last = task_days(task, band)
    assert (item.first - DAY).days == first and (item.last - DAY).days == last
    assert item.source == task.source and item.phase == task.phase
    if task.phase == "pre":
        assert item.last <= DAY
