"""Re-planning a stored plan under the current rule book: the changes shown first, applied only when confirmed.

A stored plan keeps the rules it was made under (its handout, calendar and care
schedule do not move when the rules change); this page is the one way a change
of rules reaches a patient's plan, through :func:`records.actions.replan`.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from dermadelta.clinic.accounts.access import Actor, staff_required
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.access import get_record
from dermadelta.clinic.records.models import TreatmentPlan


@staff_required
def plan_replan(request: HttpRequest, actor: Actor, pk: int) -> HttpResponse:
    treatment_plan = get_record(request, actor, TreatmentPlan, pk, detail="re-plan")
    context: dict[str, object] = {"tp": treatment_plan, "patient": treatment_plan.patient}
    try:
        if request.method == "POST":
            done = actions.replan(
                treatment_plan, by=request.user, seen=request.POST.get("rules", "")[:100], request=request
            )
            count = len(done.changes)
            messages.success(
                request,
                f"The plan now follows the current treatment rules ({count} change{'s' if count != 1 else ''}).",
            )
            return redirect("plan", pk=treatment_plan.pk)
        context["preview"] = actions.replan_preview(treatment_plan)
    except actions.ActionError as error:
        context["problem"] = " ".join(error.messages)
        context["preview"] = None
    status = 200 if request.method == "GET" else 409
    return render(request, "front/consultation/replan.html", context, status=status)
