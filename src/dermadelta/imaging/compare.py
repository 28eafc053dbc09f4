"""Per zone and metric: before, after, delta, minimal detectable change, and the verdict.

A change counts only when |delta| exceeds the metric's minimal detectable change
(MDC) in that zone. The MDC is the repeatability coefficient,
1.96 x sqrt(2) x within-subject SD, measured by re-analysing the same faces under
capture nuisance (``make eval``; the table ships in ``data/repeatability.json``).

References
----------
Bland JM, Altman DG. Measurement error. BMJ 1996;313:744.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from dermadelta.errors import DermadeltaError
from dermadelta.imaging.metrics import METRIC_NAMES, Measurements
from dermadelta.imaging.zones import ZONE_NAMES

Change = Literal["increased", "decreased", "none", "not_measurable"]
REPEATABILITY_RESOURCE = "repeatability.json"


@dataclass(frozen=True)
class MetricChange:
    before: float | None
    after: float | None
    delta: float | None
    mdc: float | None
    change: Change
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "before": self.before,
            "after": self.after,
            "delta": self.delta,
            "mdc": self.mdc,
            "change": self.change,
        }
        if self.reason:
            data["reason"] = self.reason
        return data


@dataclass(frozen=True)
class RepeatabilityTable:
    """Minimal detectable change per zone and metric, with where it came from."""

    mdc: dict[str, dict[str, float]]
    source: str

    def get(self, zone: str, metric: str) -> float | None:
        return self.mdc.get(zone, {}).get(metric)


def parse_repeatability(text: str, *, source: str) -> RepeatabilityTable:
    """Read a repeatability table; refuse one that is malformed or has a non-positive MDC."""
    try:
        data = json.loads(text)
        table = data["mdc"]
        mdc = {zone: {metric: float(table[zone][metric]) for metric in table[zone]} for zone in table}
    except (ValueError, KeyError, TypeError) as error:
        raise DermadeltaError(f"{source}: not a repeatability table ({error})") from None
    for zone, metrics in mdc.items():
        for metric, value in metrics.items():
            if not value > 0 or value != value:
                raise DermadeltaError(f"{source}: MDC of {zone}.{metric} must be positive, not {value}")
    return RepeatabilityTable(mdc=mdc, source=str(data.get("generated_by", source)))


@cache
def default_repeatability() -> RepeatabilityTable:
    text = resources.files("dermadelta.imaging.data").joinpath(REPEATABILITY_RESOURCE).read_text()
    return parse_repeatability(text, source=REPEATABILITY_RESOURCE)


def classify(delta: float, mdc: float) -> Change:
    """The verdict on one change: real only when larger than the minimal detectable change."""
    if abs(delta) <= mdc:
        return "none"
    return "increased" if delta > 0 else "decreased"


def compare_measurements(
    before: Measurements, after: Measurements, *, repeatability: RepeatabilityTable
) -> dict[str, dict[str, MetricChange]]:
    """Stage ``compare``: the change of every metric in every zone."""
    result: dict[str, dict[str, MetricChange]] = {}
    for zone in ZONE_NAMES:
        result[zone] = {}
        for metric in METRIC_NAMES:
            b = before.values[zone][metric]
            a = after.values[zone][metric]
            mdc = repeatability.get(zone, metric)
            if b is None or a is None:
                why = before.not_measurable[zone].get(metric) or after.not_measurable[zone].get(metric) or ""
                result[zone][metric] = MetricChange(b, a, None, mdc, "not_measurable", why)
                continue
            delta = round(a - b, 6)
            if mdc is None:
                result[zone][metric] = MetricChange(
                    b, a, delta, None, "not_measurable", "no measured repeatability for this zone and metric"
                )
                continue
            result[zone][metric] = MetricChange(b, a, delta, round(mdc, 6), classify(delta, mdc))
    return result
