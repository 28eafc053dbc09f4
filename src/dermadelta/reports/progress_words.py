"""Plain words for progress against the expected course, for the clinic and for the patient.

The clinic reads the verdicts as they are ("behind what is expected"). A patient
reads where they stand in encouraging plain language: what "within the expected
range" means, that results keep building for months after a session, and that
their practitioner goes through anything unexpected with them; never a red
"behind". Both the course charts and the pages take their words from here.
"""

from __future__ import annotations

from typing import Literal

Audience = Literal["clinic", "patient"]
AUDIENCES: tuple[Audience, ...] = ("clinic", "patient")

#: Each progress status in words, by audience.
STATUS_WORDS: dict[Audience, dict[str, str]] = {
    "clinic": {
        "ahead": "ahead of what is expected",
        "on_track": "on track",
        "behind": "behind what is expected",
        "not_measurable": "not measurable",
    },
    "patient": {
        "ahead": "more improvement than expected",
        "on_track": "within the expected range",
        "behind": "one to talk over with your practitioner",
        "not_measurable": "could not be measured on the latest photos",
    },
}
#: How each status reads at a glance (the pages' badge colours); a patient never sees "worse".
STATUS_TONES: dict[Audience, dict[str, str]] = {
    "clinic": {"ahead": "better", "on_track": "better", "behind": "worse", "not_measurable": "unknown"},
    "patient": {"ahead": "better", "on_track": "better", "behind": "same", "not_measurable": "unknown"},
}
#: Why a measured status is what it is, for a patient (the clinic reads the outcome model's own reason).
PATIENT_REASONS = {
    "ahead": "more change than is usual at this point of the treatment",
    "on_track": "the measured change is inside the range expected at this point of the treatment",
    "behind": (
        "not yet where most people are at this point; skin keeps changing for months after a session, "
        "and your practitioner will go through it with you"
    ),
}

# --- the chart -----------------------------------------------------------------------------------

CHART_TITLE: dict[Audience, str] = {
    "clinic": "Measured change since before treatment, against the range the plan leads us to expect",
    "patient": "Your progress so far",
}
CHART_EXPLAINER: dict[Audience, str] = {
    "clinic": (
        "Points: measured change; bars: the smallest change a photo can detect (repeat photos of unchanged "
        "skin differ this much). Shaded: the expected range between patients."
    ),
    "patient": (
        "The shaded band is the range of change expected at each point of your treatment, from published "
        "studies. A dot inside the band means your skin is changing as expected. The bar around a dot is how "
        "much two photos of unchanged skin can differ. Results keep building for 3 to 6 months after the last "
        "session."
    ),
}
DAYS_AXIS: dict[Audience, str] = {
    "clinic": "days since the first session",
    "patient": "days since your first session",
}
#: The legend's words for what a panel can show.
LEGEND_WORDS: dict[Audience, dict[str, str]] = {
    "clinic": {
        "band": "expected range",
        "redness": "days of expected redness after a session",
        "unmeasured": "could not be measured on that photo",
    },
    "patient": {
        "band": "expected range for your treatment",
        "redness": "days your skin is expected to be red after a session",
        "unmeasured": "could not be measured on that photo",
        "measured": "your measured change",
    },
}
#: What a panel says where it draws no expected range, by audience.
NO_BAND_WORDS: dict[Audience, dict[str, str]] = {
    "clinic": {
        "uncalibrated": (
            "No expected range is calibrated for skin tone: only a darkening beyond the smallest "
            "detectable change is flagged."
        ),
        "not_treated": "Not treated by this plan: no change is expected.",
        "redness": "Shaded: expected redness after each session; after that no change is expected.",
        "no_baseline": "No expected range: the value before treatment is missing.",
        "unmeasured": "Could not be measured",
    },
    "patient": {
        "uncalibrated": ("There is no expected range for skin tone; your practitioner checks that it does not darken."),
        "not_treated": "Not a goal of your treatment, so no change is expected.",
        "redness": "Shaded: the days your skin is expected to be red after a session; then it settles.",
        "no_baseline": "No expected range can be drawn: the measure from before treatment is missing.",
        "unmeasured": "Could not be measured",
    },
}


def status_words(status: str, audience: Audience = "clinic") -> str:
    return STATUS_WORDS[audience][status]


def status_tone(status: str, audience: Audience = "clinic") -> str:
    return STATUS_TONES[audience][status]
