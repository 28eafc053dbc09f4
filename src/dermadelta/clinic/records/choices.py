"""Named choices of the clinic records (never bare strings in code)."""

from __future__ import annotations

from django.db import models

from dermadelta.protocol.screening import VERDICT_LABELS


class ConsentKind(models.TextChoices):
    TREATMENT = "treatment", "Treatment"
    PHOTOGRAPHY = "photography", "Clinical photography"
    MARKETING = "marketing", "Marketing use of photos"


class Verdict(models.TextChoices):
    """Screening verdicts of :func:`dermadelta.protocol.screening.screen`."""

    GO = "go", VERDICT_LABELS["go"]
    CAUTION = "caution", VERDICT_LABELS["caution"]
    DEFER = "defer", VERDICT_LABELS["defer"]
    REFER = "refer", VERDICT_LABELS["refer"]


class View(models.TextChoices):
    FRONT = "front", "Front"
    LEFT = "left", "Left side"
    RIGHT = "right", "Right side"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for the worker"
    RUNNING = "running", "Being analysed"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class QualityVerdict(models.TextChoices):
    OK = "ok", "Usable"
    WARN = "warn", "Usable, with warnings"
    REJECT = "reject", "Not usable"


class Endpoint(models.TextChoices):
    ERYTHEMA = "erythema", "Even redness (erythema)"
    PINPOINT_BLEEDING = "pinpoint_bleeding", "Pinpoint bleeding"
    NONE = "none", "Not reached"
