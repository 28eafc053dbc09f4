"""Storing what a comparison shows: the aligned photos, one change map per metric, and the PDF report.

The images are the same ones the report library inlines in its HTML report
(:mod:`dermadelta.reports.comparison_report`), stored as files so the viewer page
loads them through the authorizing photo view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from dermadelta.imaging.metrics import METRICS
from dermadelta.reports.comparison_report import aligned_photo, heatmap_card, render_comparison_html
from dermadelta.reports.pdf import pdf_bytes

if TYPE_CHECKING:
    from dermadelta.clinic.records.models import Comparison
    from dermadelta.imaging.pipeline import Comparison as Measured

#: The aligned photos are shown larger in the app than in the report.
VIEWER_PHOTO_WIDTH_PX = 720
SIMULATED_NOTICE = (
    "SIMULATED: these photos were made from a public-domain portrait with computer-generated skin and a "
    "simulated treatment. They are not a patient's photos and not a real treatment outcome."
)


def _folder(comparison: Comparison) -> str:
    return f"clinic-{comparison.patient.clinic_id}/patient-{comparison.patient_id}/comparison-{comparison.pk}"


def _save(path: str, data: bytes) -> str:
    if default_storage.exists(path):
        default_storage.delete(path)  # a retried job replaces what a failed run left
    return default_storage.save(path, ContentFile(data))


def report_title(comparison: Comparison) -> str:
    days = f"{comparison.before.day:%d %b %Y} to {comparison.after.day:%d %b %Y}"
    return f"{comparison.patient.full_name}: {comparison.label} ({days})"


def report_notice(comparison: Comparison) -> str:
    return SIMULATED_NOTICE if comparison.patient.simulated else ""


def store_visuals(comparison: Comparison, measured: Measured) -> dict[str, Any]:
    """Write the images and the PDF of ``measured``; return what the viewer needs to show them."""
    folder = _folder(comparison)
    html = render_comparison_html(measured, title=report_title(comparison), notice=report_notice(comparison))
    comparison.report_pdf.name = _save(f"{folder}/report.pdf", pdf_bytes(html))
    if not measured.measured:
        return {}
    files = {
        "before": _save(f"{folder}/before.jpg", aligned_photo(measured.before, width=VIEWER_PHOTO_WIDTH_PX)),
        "after": _save(f"{folder}/after.jpg", aligned_photo(measured.after, width=VIEWER_PHOTO_WIDTH_PX)),
    }
    heatmaps = []
    for metric in METRICS:
        card = heatmap_card(measured, metric)
        image = card.pop("image")
        if image is not None:
            files[f"heatmap-{metric}"] = _save(f"{folder}/heatmap-{metric}.jpg", image)
        heatmaps.append(card)
    return {"files": files, "heatmaps": heatmaps}
