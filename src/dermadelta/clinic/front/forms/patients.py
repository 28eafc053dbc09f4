"""Forms of the patient pages: the patient's details, the name search, and recording a consent.

The details form is a model form: its validation runs ``Patient.clean()`` (names
trimmed with their inner whitespace collapsed; a date of birth in the future or
before 1900 refused), the same rules the actions apply.
"""

from __future__ import annotations

from typing import Any

from django import forms

from dermadelta.clinic.records.choices import ConsentKind
from dermadelta.clinic.records.models import Patient
from dermadelta.clinic.records.patient_actions import EDITABLE

#: The longest search the patient list accepts (anything longer is cut).
MAX_SEARCH = 100


class PatientForm(forms.ModelForm[Patient]):
    class Meta:
        model = Patient
        fields = list(EDITABLE)
        labels = {
            "first_name": "First name",
            "last_name": "Last name",
            "date_of_birth": "Date of birth",
            "email": "Email",
            "phone": "Phone",
            "fitzpatrick": "Fitzpatrick skin type",
            "notes": "Notes",
        }
        help_texts = {
            "fitzpatrick": "Type 1 (always burns) to type 6 (never burns); leave unset if not assessed yet.",
            "notes": "Seen by staff only.",
        }
        widgets = {
            "date_of_birth": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        fitzpatrick = self.fields["fitzpatrick"]
        assert isinstance(fitzpatrick, forms.TypedChoiceField)
        fitzpatrick.choices = [("", "Not assessed yet"), *[(n, f"Type {n}") for n in range(1, 7)]]
        for name in ("first_name", "last_name"):
            self.fields[name].widget.attrs["autocomplete"] = "off"

    def details(self) -> dict[str, Any]:
        """The cleaned details, as the actions take them."""
        return {name: self.cleaned_data[name] for name in EDITABLE}


class PatientSearchForm(forms.Form):
    q = forms.CharField(required=False, label="Search by name", max_length=MAX_SEARCH)

    def words(self) -> list[str] | None:
        """The words searched for (at most five), or None when the search itself is not valid."""
        if not self.is_valid():
            return None
        return str(self.cleaned_data.get("q") or "").split()[:5]


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(choices=ConsentKind.choices)
    note = forms.CharField(required=False, max_length=300, label="Note (optional)")


class WithdrawForm(forms.Form):
    """The confirmation that the consent is to be withdrawn."""

    confirm = forms.BooleanField(required=True)
