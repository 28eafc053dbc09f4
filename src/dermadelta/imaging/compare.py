"""Per zone and metric: before, after, delta, minimal detectable change, and the verdict.

A change counts only when |delta| exceeds the metric's minimal detectable change
(MDC) in that zone. The MDC is the repeatability coefficient at 99 % confidence,
2.576 x sqrt(2) x within-subject SD, measured on re-captures of real photos simulated
under phone-wide capture nuisance (``make eval``; the table ships in
``data/repeatability.json``).

References
----------
Bland JM, Altman DG. Measurement error. BMJ 1996;313:744.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from statistics import NormalDist
from typing import Any, Literal

from dermadelta.errors import DermadeltaError
from dermadelta.imaging.colour import ITA_BANDS, ita_band
from dermadelta.imaging.metrics import METRIC_NAMES, Measurements
from dermadelta.imaging.zones import ZONE_NAMES

Change = Literal["increased", "decreased", "none", "not_measurable"]
#: How many repeat photos of unchanged skin in 100 differ by less than the MDC, and the
#: two-sided normal quantile that gives it (2.576). At 95 % (1.96) one verdict in 20 of an
#: unchanged face would report a change, above the evaluation's 2 % target.
MDC_CONFIDENCE_PERCENT = 99
MDC_Z = round(NormalDist().inv_cdf(0.5 + MDC_CONFIDENCE_PERCENT / 200), 3)
REPEATABILITY_RESOURCE = "repeatability.json"
#: How far a single photo's ITA may sit from the skin's own: the 95th percentile of
#: that distance under the evaluation's capture nuisance (docs/MEASUREMENT.md).
ITA_UNCERTAINTY_DEG = 16.0


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
    """Minimal detectable change per zone and metric, with where it came from.

    ``by_band`` holds the MDCs measured on subjects of each ITA skin-tone band:
    darker skin gives photos with less signal over the same sensor noise, so one
    pooled bound would report false changes on dark skin and miss real ones on
    light skin. :meth:`for_tone` picks the bands near a measured ITA; as a band's
    figures come from few subjects, the bound used is never below the pooled one.
    """

    mdc: dict[str, dict[str, float]]
    source: str
    by_band: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    band: str | None = None

    def get(self, zone: str, metric: str) -> float | None:
        return self.mdc.get(zone, {}).get(metric)

    def for_tone(self, ita_deg: float | None) -> RepeatabilityTable:
        """The table for a skin of this ITA (degrees); the pooled one when unknown.

        A single photo's ITA moves with its exposure, so every band within
        ``ITA_UNCERTAINTY_DEG`` counts, and the largest bound of those bands and
        the pooled table is used.
        """
        if ita_deg is None or not math.isfinite(ita_deg):
            return self
        near = {ita_band(ita_deg + offset) for offset in (-ITA_UNCERTAINTY_DEG, 0.0, ITA_UNCERTAINTY_DEG)}
        bands = sorted(near & set(self.by_band))
        if not bands:
            return self
        merged = {
            zone: {
                metric: max([value] + [self.by_band[b].get(zone, {}).get(metric, value) for b in bands])
                for metric, value in metrics.items()
            }
            for zone, metrics in self.mdc.items()
        }
        return RepeatabilityTable(mdc=merged, source=self.source, band="/".join(bands))


def _mdc_mapping(table: Any, *, source: str, where: str) -> dict[str, dict[str, float]]:
    mdc = {zone: {metric: float(table[zone][metric]) for metric in table[zone]} for zone in table}
    for zone, metrics in mdc.items():
        for metric, value in metrics.items():
            if not value > 0 or not math.isfinite(value):
                raise DermadeltaError(f"{source}: MDC of {where}{zone}.{metric} must be positive, not {value}")
    return mdc


def parse_repeatability(text: str, *, source: str) -> RepeatabilityTable:
    """Read a repeatability table; refuse one that is malformed or has a non-positive MDC."""
    try:
        data = json.loads(text)
        mdc = _mdc_mapping(data["mdc"], source=source, where="")
        by_band = {
            band: _mdc_mapping(table, source=source, where=f"{band}.")
            for band, table in data.get("mdc_by_band", {}).items()
        }
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        if isinstance(error, DermadeltaError):
            raise
        raise DermadeltaError(f"{source}: not a repeatability table ({error})") from None
    unknown = set(by_band) - {band for band, _ in ITA_BANDS} - {"dark"}
    if unknown:
        raise DermadeltaError(f"{source}: unknown ITA bands {sorted(unknown)}")
    return RepeatabilityTable(mdc=mdc, source=str(data.get("generated_by", source)), by_band=by_band)


@cache
def default_repeatability() -> RepeatabilityTable:
    text = resources.files("dermadelta.imaging.data").joinpath(REPEATABILITY_RESOURCE).read_text()
    return parse_repeatability(text, source=REPEATABILITY_RESOURCE)


def classify(delta: float, mdc: float) -> Change:
    """The verdict on one change: real only when larger than the minimal detectable change."""
    if abs(delta) <= mdc:
        return "none"
    return "increased" if delta > 0 else "decreased"


def _reason(before: str | None, after: str | None) -> str:
    """Why a metric is not measurable in a comparison, naming the photo when only one is at fault."""
    if before and after:
        return before if before == after else f"before photo: {before}; after photo: {after}"
    if before:
        return f"before photo: {before}"
    if after:
        return f"after photo: {after}"
    return "not measurable on these photos"


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
                why = _reason(before.not_measurable[zone].get(metric), after.not_measurable[zone].get(metric))
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
