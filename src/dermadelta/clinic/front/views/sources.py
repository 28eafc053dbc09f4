"""The public sources the treatment rules rest on, listed in full for staff and patients."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from dermadelta.protocol.rulebook import load_rulebook


@login_required
def sources(request: HttpRequest) -> HttpResponse:
    return render(request, "front/sources/list.html", {"sources": list(load_rulebook().sources.values())})
