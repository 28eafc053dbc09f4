"""Forms of the results pages: asking for a comparison, and the viewer's metric and zone pickers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from dermadelta.clinic.records.models import Patient, Photo


class PhotoChoiceField(forms.ModelChoiceField[Photo]):
    def label_from_instance(self, obj: Photo) -> str:
        verdict = obj.get_quality_display() if obj.quality else obj.get_status_display()
        # A session's photo is named by its number: its day helps choose. A consultation's is named by its day already.
        day = f", {obj.day:%d %b %Y}" if obj.session_id else ""
        return f"{obj.label}{day} ({verdict})"


class ComparisonForm(forms.Form):
    """Two of the patient's photos; a photo of anyone else is not a valid choice."""

    before = PhotoChoiceField(queryset=Photo.objects.none(), label="Before")
    after = PhotoChoiceField(queryset=Photo.objects.none(), label="After")

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        photos = patient.photos.select_related("session").order_by("uploaded_at", "id")
        self.fields["before"].queryset = photos  # type: ignore[attr-defined]
        self.fields["after"].queryset = photos  # type: ignore[attr-defined]


class ViewerForm(forms.Form):
    """Which change map and which zone's table the viewer shows (unknown values fall back to the first)."""

    metric = forms.ChoiceField(required=False, label="Change map")
    zone = forms.ChoiceField(required=False, label="Zone")

    def __init__(
        self,
        *args: Any,
        metrics: Sequence[tuple[str, str]],
        zones: Sequence[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["metric"].choices = list(metrics)  # type: ignore[attr-defined]
        self.fields["zone"].choices = list(zones)  # type: ignore[attr-defined]

    def chosen(self, name: str, default: str) -> str:
        """The valid value asked for in ``name``, else ``default`` (a bad value is not an error here)."""
        if not self.is_bound:
            return default
        self.is_valid()  # cleaned_data keeps the fields that are valid
        return str(self.cleaned_data.get(name) or default)
