"""Named choices of the clinic records (never bare strings in code)."""

from __future__ import annotations

from django.db import models


class ConsentKind(models.TextChoices):
    TREATMENT = "treatment", "Treatment"
    PHOTOGRAPHY = "photography", "Clinical photography"
    MARKETING = "marketing", "Marketing use of photos"


class Verdict(models.TextChoices):
    """Screening verdicts of :func:`dermadelta.protocol.screening.screen`."""

    GO = "go", "Suitable"
    CAUTION = "caution", "Suitable with caution"
    DEFER = "defer", "Deferred"
    REFER = "refer", "Refer to a physician"


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
