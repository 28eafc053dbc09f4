"""The session chart: what was done (device, needle depth per zone, passes, endpoint) and how the skin reacted.

One depth field per zone of the rule book (left empty: the zone was not treated);
the form builds the ``depths`` dict. The rules of a session are the model's:
``TreatmentSession.clean()`` refuses a date in the future (in the clinic) or
before the patient's birth and a depth over the zone's or the device's cap, and
its fields' validators bound the session number, passes and numbing time; its
messages are shown on the form's fields. A session that departs from the active
plan is refused by :func:`records.actions.chart_session` unless ``override`` is
ticked and ``override_reason`` given; the page offers both once it was refused.
The form's number fields take the same bounds (:data:`MAX_PASSES` and the
others) so the browser knows them; otherwise the form only refuses what is not a
session at all: a date that is not a date, a number that is not a number."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms

from dermadelta.clinic.records.actions import MAX_OVERRIDE_REASON
from dermadelta.clinic.records.choices import Endpoint
from dermadelta.clinic.records.models import MAX_NUMBING_MINUTES, MAX_PASSES, MAX_SESSION_NUMBER, Patient
from dermadelta.protocol.rulebook import RuleBook


def depth_field_name(zone_id: str) -> str:
    return f"depth_{zone_id}"


def _text(label: str, *, help_text: str = "") -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=300, help_text=help_text)


def _long_text(label: str) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class SessionForm(forms.Form):
    on = forms.DateField(label="Date", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    number = forms.IntegerField(label="Session number", min_value=1, max_value=MAX_SESSION_NUMBER)
    device = forms.ChoiceField(label="Device")
    passes = forms.IntegerField(label="Passes", min_value=1, max_value=MAX_PASSES, initial=3)
    endpoint = forms.ChoiceField(label="Endpoint", choices=Endpoint.choices, initial=Endpoint.ERYTHEMA)
    numbing_minutes = forms.IntegerField(
        label="Numbing cream (minutes)", min_value=0, max_value=MAX_NUMBING_MINUTES, initial=30
    )
    products = _text("Products", help_text="Serums and creams used during and after needling.")
    addons = _text("Add-ons", help_text="e.g. PRP")
    lot_numbers = _text("Lot numbers", help_text="Needle cartridge and product lots.")
    immediate_reactions = _long_text("Immediate reactions")
    notes = _long_text("Notes")
    override = forms.BooleanField(label="Chart this session outside the plan", required=False)
    override_reason = forms.CharField(
        label="Reason for charting outside the plan",
        required=False,
        max_length=MAX_OVERRIDE_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept on the session and in the audit log.",
    )

    #: Fields that are not a zone's depth, in the order the page shows them.
    DETAILS = ("passes", "endpoint", "numbing_minutes", "products", "addons", "lot_numbers")

    def __init__(
        self,
        *args: Any,
        book: RuleBook,
        patient: Patient,
        today: dt.date,
        number: int,
        device: str = "pen",
        planned_depths: Mapping[str, float] | None = None,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.book, self.patient, self.today = book, patient, today
        device_field = self.fields["device"]
        assert isinstance(device_field, forms.ChoiceField)
        device_field.choices = [(d.id, f"{d.label} (up to {d.max_mm} mm)") for d in book.devices.values()]
        self.fields["on"].initial = today
        self.fields["number"].initial = number
        self.fields["device"].initial = device if device in book.devices else next(iter(book.devices), "")
        planned = dict(planned_depths or {})
        for zone in book.zones.values():
            self.fields[depth_field_name(zone.id)] = forms.FloatField(
                label=zone.label,
                required=False,
                initial=planned.get(zone.id),
                help_text=f"{zone.min_mm}–{zone.max_mm} mm" + (" (planned)" if zone.id in planned else ""),
                widget=forms.NumberInput(attrs={"step": "any", "min": "0", "inputmode": "decimal"}),
            )

    # --- rendering -----------------------------------------------------------------------------

    def depth_fields(self) -> list[forms.BoundField]:
        return [self[depth_field_name(zone_id)] for zone_id in self.book.zones]

    def detail_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.DETAILS]

    # --- validation ----------------------------------------------------------------------------

    def depths(self) -> dict[str, float]:
        """The depth of each treated zone (zones left empty were not treated)."""
        depths = {}
        for zone_id in self.book.zones:
            value = self.cleaned_data.get(depth_field_name(zone_id))
            if value is not None:
                depths[zone_id] = float(value)
        return depths

    def session_fields(self) -> dict[str, Any]:
        """The chart, as :func:`records.actions.chart_session` takes it."""
        data = self.cleaned_data
        names = ("on", "number", "device", "immediate_reactions", "notes", "override", "override_reason", *self.DETAILS)
        return {**{name: data[name] for name in names}, "depths": self.depths()}
