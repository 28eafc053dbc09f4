"""Portal access from the patient's page: invite (a one-time link, shown to print) and revoke; the link's own page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from dermadelta.clinic.accounts.access import Actor, staff_required
from dermadelta.clinic.front.views.calendar_feed import PRIVATE
from dermadelta.clinic.records.access import reachable
from dermadelta.clinic.records.models import Patient
from dermadelta.clinic.records.portal_access import AccessError, accept, invitation_for, invite, revoke

BACKEND = "django.contrib.auth.backends.ModelBackend"


def _portal_card(patient: Patient) -> str:
    return f"{reverse('patient', args=[patient.pk])}#portal"


@staff_required
def portal_invite(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    """POST: a new invitation link (an earlier one stops working), shown once on a printable page."""
    patient = reachable(request, actor, Patient, pk)  # the action audits; a stranger gets 404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        invitation, secret = invite(patient, by=request.user, request=request)
    except AccessError as error:
        messages.error(request, str(error))
        return redirect(_portal_card(patient))
    link = request.build_absolute_uri(reverse("portal_welcome", args=[secret]))
    context = {"patient": patient, "invitation": invitation, "link": link, "back": _portal_card(patient)}
    response = render(request, "front/portal/invitation.html", context)
    response["Cache-Control"] = PRIVATE  # the link must not stay in a cache
    return response


@staff_required
def portal_revoke(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    patient = reachable(request, actor, Patient, pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if revoke(patient, by=request.user, request=request):
        messages.success(
            request, f"{patient.full_name} can no longer sign in to the portal; any invitation link is withdrawn."
        )
    return redirect(_portal_card(patient))


def portal_welcome(request: HttpRequest, secret: str) -> HttpResponse:
    """The invitation link: the patient chooses a password (once), is signed in and sees their portal."""
    try:
        invitation = invitation_for(secret)
    except AccessError as error:
        return _welcome(request, {"problem": str(error)}, status=410)
    user = invitation.patient.user
    assert user is not None  # invitation_for refuses a link whose patient has no account
    form = SetPasswordForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = accept(secret, form.cleaned_data["new_password1"], request=request)
        except AccessError as error:
            return _welcome(request, {"problem": str(error)}, status=410)
        login(request, user, backend=BACKEND)
        messages.success(request, "Your password is set. Next time, sign in with your user name and this password.")
        return redirect("portal")
    context = {"form": form, "patient": invitation.patient, "username": user.get_username()}
    return _welcome(request, context, status=400 if request.method == "POST" else 200)


def _welcome(request: HttpRequest, context: dict[str, object], *, status: int) -> HttpResponse:
    response = render(request, "front/portal/welcome.html", context, status=status)
    response["Cache-Control"] = PRIVATE
    # The link's secret must not leave the site in a Referer header; not "no-referrer", under which
    # the browser sends "Origin: null" with the password form and the CSRF check refuses it.
    response["Referrer-Policy"] = "same-origin"
    return response
