"""Forms of the photo pages: upload (several files at once) and the camera capture's choices."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from dermadelta.clinic.records.choices import View
from dermadelta.clinic.records.models import Patient, TreatmentSession


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotoFilesField(forms.Field):
    """The chosen files, as uploaded: each file is checked by the upload action, which says why one is refused."""

    widget = MultipleFileInput

    def clean(self, value: Any) -> list[UploadedFile]:
        files = value if isinstance(value, list | tuple) else ([value] if value else [])
        return [f for f in files if isinstance(f, UploadedFile)]


class SessionChoiceField(forms.ModelChoiceField[TreatmentSession]):
    def label_from_instance(self, obj: TreatmentSession) -> str:
        return f"Session {obj.number} on {obj.on:%d %b %Y}"


class PhotoUploadForm(forms.Form):
    photos = PhotoFilesField(
        required=False,
        label="Photos",
        help_text=f"JPEG, PNG, HEIC, WebP or TIFF; up to {settings.MAX_PHOTOS_PER_UPLOAD} at once.",
    )
    view = forms.ChoiceField(choices=View.choices, initial=View.FRONT, label="View")
    session = SessionChoiceField(
        queryset=TreatmentSession.objects.none(),
        required=False,
        empty_label="Not linked to a session",
        label="Session",
    )

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields["session"].queryset = patient.sessions.order_by("-on", "-number")  # type: ignore[attr-defined]
        self.fields["photos"].widget.attrs.update({"accept": "image/*", "multiple": True})


class CaptureForm(forms.Form):
    """Which view the camera page frames against (the baseline of that view is overlaid)."""

    view = forms.ChoiceField(choices=View.choices, initial=View.FRONT, required=False, label="View")

    def chosen_view(self) -> str:
        if self.is_valid() and self.cleaned_data.get("view"):
            return str(self.cleaned_data["view"])
        return View.FRONT
