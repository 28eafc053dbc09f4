"""Where a signed-in user lands: staff on the dashboard, patients on their own record."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dermadelta.clinic.accounts.access import actor_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request.user)
    if actor.is_staff_member:
        return redirect("dashboard")
    if actor.is_patient:
        return redirect("portal")
    return render(request, "front/no_role.html", status=403)
