"""The demo clinic: staff and patient logins and one simulated patient, treated and already analysed.

Everything is made through the same actions the pages use (so the audit log
tells the demo's story too), and every step is skipped when it was done before:
seeding twice changes nothing and gives the same logins. The passwords are
random on the first seed and kept, readable by the owner only, in
``DATA_DIR / demo-logins.txt``.

The patient is simulated and says so in their name and record. Their photos are
a public-domain face shipped inside matplotlib (``grace_hopper``, US Navy) with
computer-generated skin: brown spots, redness and skin relief that improve a
little after each session, photographed each time with a small change of
exposure, white balance and framing (:mod:`dermadelta.imaging.simulate`).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.crypto import get_random_string

from dermadelta.clinic.accounts.models import Clinic, Membership, Role
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.choices import ConsentKind, Endpoint, JobStatus, View
from dermadelta.clinic.records.models import Consent, Patient, Photo, TreatmentPlan, TreatmentSession
from dermadelta.protocol.calendar import time_zone
from dermadelta.protocol.rulebook import load_rulebook

CLINIC_NAME = "dermadelta demo clinic"
CLINIC_TIME_ZONE = "Europe/London"
#: A number from the range set aside for drama and examples (Ofcom), never a real line.
CLINIC_PHONE = "020 7946 0000"
LOGINS_FILE = "demo-logins.txt"
PASSWORD_LENGTH = 16

#: What the patient asked to treat (concern:zones, as in ``protocol/rules/concerns.toml``).
TARGETS = ("acne_scars_rolling:left_cheek,right_cheek", "texture:forehead,left_cheek,right_cheek,chin")
ZONES = ("forehead", "left_cheek", "right_cheek", "chin")
SESSIONS = 4
#: The first session was about this many days before the seed.
FIRST_SESSION_DAYS_AGO = 120
CONSULTATION_DAYS_BEFORE = 7
FOLLOW_UP_DAYS_AFTER = 28
#: Most photos the course has: the baseline, one before each later session, and the follow-up.
MAX_PHOTOS = SESSIONS + 1
#: Photos modest in size (eyes this many pixels apart) so that seeding takes seconds, not minutes.
INTER_OCULAR_PX = 340.0
SEED = 11

Say = Callable[[str], None]


@dataclass(frozen=True)
class Login:
    role: str
    username: str
    password: str
    first_name: str
    last_name: str


@dataclass(frozen=True)
class DemoClinic:
    clinic: Clinic
    patient: Patient
    logins: tuple[Login, ...]
    logins_file: Path


#: The three accounts of the demo clinic (role, user name, first and last name).
ACCOUNTS = (
    ("admin", "demo-admin", "Dana", "Admin (demo)"),
    ("practitioner", "demo-practitioner", "Robin", "Reyes (demo)"),
    ("patient", "demo-patient", "Sam", "Sample (simulated)"),
)


def _quiet(_: str) -> None:
    pass


# --- logins --------------------------------------------------------------------------------------


def logins_path(data_dir: Path | None = None) -> Path:
    return Path(data_dir if data_dir is not None else settings.DATA_DIR) / LOGINS_FILE


def read_logins(path: Path) -> dict[str, str]:
    """username: password from the logins file (empty when there is none)."""
    if not path.exists():
        return {}
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3 and not line.startswith("#"):
            found[parts[1]] = parts[2]
    return found


def write_logins(path: Path, logins: Sequence[Login]) -> None:
    """Write the logins file readable and writable by its owner only (mode 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "# dermadelta demo clinic: sign-in details (the records are simulated)\n# role user-name password\n"
    text += "".join(f"{login.role} {login.username} {login.password}\n" for login in logins)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)  # also when the file was there before with wider rights


def ensure_logins(path: Path, *, say: Say = _quiet) -> tuple[Login, ...]:
    """The demo accounts with the passwords of the logins file; new random passwords the first time."""
    kept = read_logins(path)
    logins = []
    changed = False
    for role, username, first, last in ACCOUNTS:
        user = User.objects.filter(username=username).first()
        password = kept.get(username, "")
        works = bool(password) and (user is None or user.check_password(password))
        if not works:
            password = get_random_string(PASSWORD_LENGTH)
            changed = True
        if user is None:
            User.objects.create_user(username, f"{username}@example.org", password, first_name=first, last_name=last)
            say(f"Created the {role} login {username}.")
        elif not works:
            user.set_password(password)
            user.save(update_fields=["password"])
            say(f"Set a new password for {username} (it was not in the logins file).")
        logins.append(Login(role, username, password, first, last))
    if changed or not path.exists():
        write_logins(path, logins)
    os.chmod(path, 0o600)
    return tuple(logins)


# --- the clinic and its people -------------------------------------------------------------------


def ensure_clinic(*, say: Say = _quiet) -> Clinic:
    clinic = Clinic.objects.filter(name=CLINIC_NAME).order_by("pk").first()
    if clinic is None:
        clinic = Clinic(name=CLINIC_NAME, time_zone=CLINIC_TIME_ZONE, phone=CLINIC_PHONE)
        clinic.full_clean()
        clinic.save()
        say(f"Created the clinic {CLINIC_NAME!r} ({CLINIC_TIME_ZONE}).")
    else:
        say(f"The clinic {CLINIC_NAME!r} is there already.")
    return clinic


def ensure_staff(clinic: Clinic, logins: Sequence[Login], *, say: Say = _quiet) -> dict[str, User]:
    roles = {"admin": Role.ADMIN, "practitioner": Role.PRACTITIONER}
    staff = {}
    for login in logins:
        if login.role not in roles:
            continue
        user = User.objects.get(username=login.username)
        _, created = Membership.objects.get_or_create(user=user, defaults={"clinic": clinic, "role": roles[login.role]})
        if created:
            say(f"Made {login.username} {roles[login.role].label.lower()} of the clinic.")
        staff[login.role] = user
    return staff


def screening_answers(*, age: int = 34, fitzpatrick: str = "II") -> dict[str, Any]:
    """Every consultation question answered, with nothing that stands in the way of treatment ("go")."""
    answers: dict[str, Any] = {}
    for question in load_rulebook().questions.values():
        if question.type == "boolean":
            answers[question.id] = False
        elif question.type == "integer":
            answers[question.id] = age
        elif question.type == "choice":
            answers[question.id] = fitzpatrick if question.id == "fitzpatrick" else question.choices[0]
        elif question.type == "zones":
            answers[question.id] = []
        elif question.type == "zone_dates":
            answers[question.id] = {}
        else:
            answers[question.id] = None  # a date question left empty: never
    return answers


def _at_the_consultation(clinic: Clinic, on: dt.date) -> dt.datetime:
    """09:00 on the consultation's day in the clinic: when the simulated patient came in."""
    return dt.datetime.combine(on, dt.time(9, 0), tzinfo=time_zone(clinic.time_zone))


def ensure_patient(clinic: Clinic, login: Login, *, since: dt.date, by: User, say: Say = _quiet) -> Patient:
    """The simulated patient, a patient of the clinic ``since`` the consultation (recorded now)."""
    user = User.objects.get(username=login.username)
    patient = Patient.objects.filter(clinic=clinic, user=user).first()
    if patient is not None:
        say(f"The simulated patient {patient.full_name} is there already.")
        return patient
    patient = actions.create_patient(
        clinic,
        {
            "user": user,
            "first_name": login.first_name,
            "last_name": login.last_name,
            "date_of_birth": dt.date(1991, 5, 14),
            "email": f"{login.username}@example.org",
            "fitzpatrick": 2,
            "notes": "Simulated demo record: not a real person. The photos are a public-domain portrait with "
            "computer-generated skin and a simulated treatment.",
            "simulated": True,
        },
        by=by,
    )
    # Recorded now, but the simulated patient came to the clinic months ago, as its consents say.
    Patient.objects.filter(pk=patient.pk).update(created_at=_at_the_consultation(clinic, since))
    patient.refresh_from_db()
    say(f"Created the simulated patient {patient.full_name}.")
    return patient


def consultation_day(today: dt.date) -> dt.date:
    """The day of the demo's consultation, a week before its first session."""
    return today - dt.timedelta(days=FIRST_SESSION_DAYS_AGO + CONSULTATION_DAYS_BEFORE)


def ensure_consents(patient: Patient, *, on: dt.date, by: User, say: Say = _quiet) -> None:
    """Grant each consent once, dated at the consultation (``on``), before any session; one withdrawn is left so."""
    given = _at_the_consultation(patient.clinic, on)
    for kind in (ConsentKind.TREATMENT, ConsentKind.PHOTOGRAPHY, ConsentKind.MARKETING):
        if not patient.consents.filter(kind=kind).exists():
            consent = actions.grant_consent(patient, kind, by=by, note="Simulated demo record")
            # Recorded now, but the simulated patient gave it at the consultation, months ago.
            Consent.objects.filter(pk=consent.pk).update(granted_at=given)
            say(f"Recorded {kind.label.lower()} consent.")


def ensure_plan(patient: Patient, *, today: dt.date, by: User, say: Say = _quiet) -> TreatmentPlan:
    plan = actions.active_plan(patient)
    if plan is not None:
        say("The treatment plan is there already.")
        return plan
    start = today - dt.timedelta(days=FIRST_SESSION_DAYS_AGO)
    consultation = patient.consultations.first() or actions.record_consultation(
        patient,
        on=consultation_day(today),
        zones=ZONES,
        answers=screening_answers(),
        by=by,
    )
    plan = actions.create_plan(
        patient,
        actions.PlanRequest(targets=TARGETS, start=start, sessions=SESSIONS),
        consultation=consultation,
        by=by,
    )
    say(f"Recorded the consultation ({consultation.get_verdict_display().lower()}) and a plan of {SESSIONS} sessions.")
    return plan


def ensure_sessions(patient: Patient, plan: TreatmentPlan, *, today: dt.date, by: User, say: Say = _quiet) -> None:
    """Chart every session of the plan whose day has come, as planned."""
    charted = set(patient.sessions.filter(plan=plan).values_list("number", flat=True))
    for planned in plan.plan["sessions"]:
        day = dt.date.fromisoformat(planned["date"])
        if planned["number"] in charted or day > today:
            continue
        deepest = float(planned["max_depth_mm"])
        actions.chart_session(
            patient,
            {
                "number": planned["number"],
                "on": day,
                "device": plan.device,
                "depths": {d["zone"]: d["depth_mm"] for d in planned["depths"]},
                "passes": 3,
                "endpoint": Endpoint.PINPOINT_BLEEDING if deepest >= 1.5 else Endpoint.ERYTHEMA,
                "products": "Hyaluronic acid serum",
                "immediate_reactions": "Even redness, as expected.",
                "notes": "Simulated demo session.",
            },
            by=by,
        )
        say(f"Charted session {planned['number']} on {day:%d %b %Y} (deepest {deepest} mm).")


# --- the simulated photos ------------------------------------------------------------------------


@dataclass(frozen=True)
class PhotoStep:
    """One photo of the course: when, of which session, and how far the simulated improvement has gone."""

    label: str
    day: dt.date
    session: TreatmentSession | None
    improvement: float  # 0 at the baseline, 1 at the follow-up


def photo_steps(patient: Patient, plan: TreatmentPlan, *, today: dt.date, count: int = MAX_PHOTOS) -> list[PhotoStep]:
    """The baseline (at the consultation), one before each later session, then the follow-up; none after today."""
    if not 2 <= count <= MAX_PHOTOS:
        raise ValueError(f"the demo course has 2 to {MAX_PHOTOS} photos, not {count}")
    consultation = patient.consultations.order_by("on").first()
    dates = plan.session_dates()
    sessions = {s.number: s for s in patient.sessions.filter(plan=plan)}
    baseline_day = consultation.on if consultation else dates[0] - dt.timedelta(days=CONSULTATION_DAYS_BEFORE)
    steps = [PhotoStep("baseline", baseline_day, None, 0.0)]
    for number, day in enumerate(dates[1:], start=2):
        steps.append(PhotoStep(f"before-session-{number}", day, sessions.get(number), 0.0))
    steps.append(PhotoStep("follow-up", dates[-1] + dt.timedelta(days=FOLLOW_UP_DAYS_AFTER), None, 0.0))
    steps = [step for step in steps if step.day <= today]
    # Keep the baseline and the last photo; drop photos from the middle when fewer are asked for.
    chosen = [steps[0], *steps[1:-1][: count - 2], steps[-1]] if count < len(steps) else steps
    last = max(len(chosen) - 1, 1)
    return [PhotoStep(s.label, s.day, s.session, index / last) for index, s in enumerate(chosen)]


def simulated_photos(improvements: Sequence[float], *, seed: int = SEED) -> list[bytes]:
    """JPEG bytes of one simulated face per improvement level (0 = untreated, 1 = end of the course).

    The brown spots are laid in layers and one layer fades away as the course goes
    on (fewer spots), the skin's fine relief is smoothed a little more each time
    and the redness lessens; each photo is taken with its own exposure, white
    balance and framing.
    """
    from dermadelta.imaging import simulate as sim

    subject = sim.make_subject("grace_hopper", inter_ocular_px=INTER_OCULAR_PX, seed=seed)
    iod = subject.inter_ocular_px
    layers = 4
    spotted = [subject.rgb]
    for layer in range(layers):
        rng = np.random.default_rng(seed * 100 + layer)
        spotted.append(
            sim.add_brown_spots(spotted[-1], subject.skin, inter_ocular_px=iod, rng=rng, area_fraction=0.009)
        )
    capture_rng = np.random.default_rng(seed)
    photos = []
    for improvement in improvements:
        kept = layers - round(improvement * (layers - 1))  # from all layers down to one
        rgb = spotted[kept]
        rgb = sim.add_redness(rgb, subject.skin, delta_a=3.0 * (1.0 - 0.6 * improvement))
        if improvement > 0:
            rgb = sim.smooth_texture(rgb, subject.skin, inter_ocular_px=iod, amount=0.6 * improvement)
        nuisance = sim.random_nuisance(capture_rng, inter_ocular_px=iod)
        photos.append(sim.capture(rgb, _gentle(nuisance), rng=capture_rng))
    return photos


def _gentle(nuisance: Any) -> Any:
    """A careful photographer's repeat photo: half the reframing of the evaluation's worst case."""
    from dataclasses import replace

    return replace(
        nuisance,
        shift_px=(nuisance.shift_px[0] / 2, nuisance.shift_px[1] / 2),
        rotation_deg=nuisance.rotation_deg / 2,
        scale=1.0 + (nuisance.scale - 1.0) / 2,
        exposure_ev=nuisance.exposure_ev / 2,
    )


def ensure_photos(
    patient: Patient, plan: TreatmentPlan, *, today: dt.date, by: User, count: int = MAX_PHOTOS, say: Say = _quiet
) -> list[Photo]:
    """Upload the simulated course (each photo once), dated on the day it shows."""
    steps = photo_steps(patient, plan, today=today, count=count)
    names = {step.label: f"simulated-{step.label}.jpg" for step in steps}
    present = {p.original_name: p for p in patient.photos.all()}
    missing = [step for step in steps if names[step.label] not in present]
    if not missing:
        say(f"The {len(steps)} simulated photos are there already.")
        return [present[names[step.label]] for step in steps]
    say(f"Simulating {len(missing)} photo(s) of the course...")
    data = simulated_photos([step.improvement for step in missing])
    zone = time_zone(patient.clinic.time_zone)
    for step, jpeg in zip(missing, data, strict=True):
        outcome = actions.upload_photos(
            patient, [(names[step.label], jpeg)], view=View.FRONT, session=step.session, by=by
        )
        if outcome.refused:
            raise RuntimeError(f"the simulated photo {step.label} was refused: {outcome.refused[0]}")
        photo = outcome.saved[0]
        taken = dt.datetime.combine(step.day, dt.time(9, 30), tzinfo=zone)
        Photo.objects.filter(pk=photo.pk).update(taken_at=taken)
        present[photo.original_name] = photo
        say(f"Uploaded the {step.label.replace('-', ' ')} photo of {step.day:%d %b %Y}.")
    return [present[names[step.label]] for step in steps]


def analyse(patient: Patient, *, say: Say = _quiet) -> tuple[int, int]:
    """Run what the worker would, now and in order: each photo's analysis (oldest first), then the comparisons.

    Analysing a photo asks for its comparison with the baseline by itself
    (:func:`dermadelta.clinic.records.tasks._compare_with_baseline`); a job done
    already is skipped, so a copy of it still waiting on the queue does nothing.
    Returns how many photos and comparisons are done.
    """
    from dermadelta.clinic.records.tasks import analyse_photo, compare_photos

    waiting = [p for p in patient.photos.select_related("session") if p.status != JobStatus.DONE]
    for photo in sorted(waiting, key=lambda p: (p.day, p.pk)):
        say(f"Analysing the photo of {photo.day:%d %b %Y}...")
        analyse_photo.call(photo.pk)
    for comparison in patient.comparisons.exclude(status=JobStatus.DONE).order_by("id"):
        say(f"Comparing {comparison.before.day:%d %b %Y} with {comparison.after.day:%d %b %Y}...")
        compare_photos.call(comparison.pk)
    photos = patient.photos.filter(status=JobStatus.DONE).count()
    comparisons = patient.comparisons.filter(status=JobStatus.DONE).count()
    return photos, comparisons


# --- all of it -----------------------------------------------------------------------------------


def seed_demo(
    *, data_dir: Path | None = None, today: dt.date | None = None, photos: int = MAX_PHOTOS, say: Say = _quiet
) -> DemoClinic:
    """Create (or complete) the demo clinic; every step done before is left as it is."""
    clinic = ensure_clinic(say=say)
    day = today or timezone.localdate(timezone=time_zone(clinic.time_zone))
    path = logins_path(data_dir)
    logins = ensure_logins(path, say=say)
    staff = ensure_staff(clinic, logins, say=say)
    practitioner = staff["practitioner"]
    patient_login = next(login for login in logins if login.role == "patient")
    patient = ensure_patient(clinic, patient_login, since=consultation_day(day), by=practitioner, say=say)
    ensure_consents(patient, on=consultation_day(day), by=practitioner, say=say)
    plan = ensure_plan(patient, today=day, by=practitioner, say=say)
    ensure_sessions(patient, plan, today=day, by=practitioner, say=say)
    ensure_photos(patient, plan, today=day, by=practitioner, count=photos, say=say)
    done_photos, done_comparisons = analyse(patient, say=say)
    say(f"{done_photos} photo(s) analysed and {done_comparisons} comparison(s) measured.")
    return DemoClinic(clinic=clinic, patient=patient, logins=logins, logins_file=path)


def login_lines(demo: DemoClinic) -> list[str]:
    """What to sign in with, one line per account."""
    width = max(len(login.role) for login in demo.logins)
    return [f"{login.role:<{width}}  user {login.username:<18} password {login.password}" for login in demo.logins]
