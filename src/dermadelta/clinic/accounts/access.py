"""Who is asking: a signed-in user's clinic and role, and the guards views use.

Every page and API call starts from :func:`actor_of`; a user with no role (no
clinic membership and no patient record) can sign in but sees nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import HttpRequest, HttpResponse

from dermadelta.clinic.accounts.models import Clinic, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from dermadelta.clinic.records.models import Patient

P = ParamSpec("P")
R = TypeVar("R", bound=HttpResponse)

PATIENT = "patient"


@dataclass(frozen=True)
class Actor:
    user: Any
    clinic: Clinic | None
    role: str | None  # Role.ADMIN, Role.PRACTITIONER, PATIENT, or None
    patient: Patient | None = None

    @property
    def is_staff_member(self) -> bool:
        return self.role in (Role.ADMIN, Role.PRACTITIONER)

    @property
    def is_clinic_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_patient(self) -> bool:
        return self.role == PATIENT


def actor_of(user: AbstractBaseUser | AnonymousUser) -> Actor:
    if not user.is_authenticated:
        return Actor(user, None, None)
    try:
        membership = user.membership  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        pass
    else:
        return Actor(user, membership.clinic, membership.role)
    try:
        patient = user.patient  # type: ignore[attr-defined]
    except ObjectDoesNotExist:
        return Actor(user, None, None)
    return Actor(user, patient.clinic, PATIENT, patient)


def _guard(
    allowed: Callable[[Actor], bool],
) -> Callable[[Callable[Concatenate[HttpRequest, Actor, P], R]], Callable[Concatenate[HttpRequest, P], R]]:
    def decorator(view: Callable[Concatenate[HttpRequest, Actor, P], R]) -> Callable[Concatenate[HttpRequest, P], R]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> R:
            actor = actor_of(request.user)
            if not allowed(actor):
                raise PermissionDenied("this page is not open to your account")
            return view(request, actor, *args, **kwargs)

        return wrapped

    return decorator


#: For clinic staff (admins and practitioners); the view receives the :class:`Actor`.
staff_required = _guard(lambda actor: actor.is_staff_member)
#: For clinic admins only.
admin_required = _guard(lambda actor: actor.is_clinic_admin)
#: For patients signed in to their own record.
patient_required = _guard(lambda actor: actor.is_patient)
#: For anyone with a role: staff or patient.
member_required = _guard(lambda actor: actor.role is not None)
