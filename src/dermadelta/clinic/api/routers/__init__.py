"""One router per resource; each handler resolves the caller, looks the record up through the access helpers
and calls the action the web view calls."""

from __future__ import annotations

from ninja import PathEx
from ninja.params import P

from dermadelta.clinic.api.schemas import MAX_ID

#: A record's id in the address: a whole number the database can hold (anything else is refused before a query).
RecordId = PathEx[int, P(ge=1, le=MAX_ID)]
