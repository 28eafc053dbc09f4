from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from dermadelta.clinic.front.views import (
    calendar_feed,
    clinic_admin,
    consultation,
    dashboard,
    fhir,
    home,
    patients,
    photos,
    portal,
    portal_access,
    replan,
    results,
    sessions,
    sources,
)

urlpatterns = [
    path("", home.home, name="home"),
    path("login/", auth_views.LoginView.as_view(template_name="front/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("sources/", sources.sources, name="sources"),
    # patients and consents
    path("patients/", patients.patient_list, name="patients"),
    path("patients/new/", patients.patient_new, name="patient_new"),
    path("patients/<int:pk>/", patients.patient_detail, name="patient"),
    path("patients/<int:pk>/edit/", patients.patient_edit, name="patient_edit"),
    path("patients/<int:pk>/consents/", patients.consent_grant, name="consent_grant"),
    path("consents/<int:pk>/withdraw/", patients.consent_withdraw, name="consent_withdraw"),
    path("patients/<int:pk>/fhir.json", fhir.patient_fhir, name="patient_fhir"),
    # the patient's calendar feed: staff and the patient manage it, calendar apps read it by its secret
    path("patients/<int:pk>/calendar-feed/", calendar_feed.patient_calendar_feed, name="patient_calendar_feed"),
    path(
        "patients/<int:pk>/calendar-feed/revoke/",
        calendar_feed.patient_calendar_feed_revoke,
        name="patient_calendar_feed_revoke",
    ),
    # portal access: staff invite and revoke, the patient opens the invitation link
    path("patients/<int:pk>/portal/invite/", portal_access.portal_invite, name="portal_invite"),
    path("patients/<int:pk>/portal/revoke/", portal_access.portal_revoke, name="portal_revoke"),
    path("portal/welcome/<str:secret>/", portal_access.portal_welcome, name="portal_welcome"),
    path("portal/calendar-feed/", portal.portal_calendar_feed, name="portal_calendar_feed"),
    path("portal/calendar-feed/revoke/", portal.portal_calendar_feed_revoke, name="portal_calendar_feed_revoke"),
    path("calendar/<str:secret>.ics", calendar_feed.calendar_feed, name="calendar_feed"),
    # consultation, screening, plan and care
    path("patients/<int:pk>/consultation/new/", consultation.consultation_new, name="consultation_new"),
    path("consultations/<int:pk>/", consultation.consultation_detail, name="consultation"),
    path("patients/<int:pk>/plan/new/", consultation.plan_new, name="plan_new"),
    path("plans/<int:pk>/", consultation.plan_detail, name="plan"),
    path("plans/<int:pk>/handout.pdf", consultation.plan_handout, name="plan_handout"),
    path("plans/<int:pk>/calendar.ics", consultation.plan_calendar, name="plan_calendar"),
    path("plans/<int:pk>/replan/", replan.plan_replan, name="plan_replan"),
    # charting
    path("patients/<int:pk>/sessions/new/", sessions.session_new, name="session_new"),
    path("sessions/<int:pk>/", sessions.session_detail, name="session"),
    # photos
    path("patients/<int:pk>/photos/upload/", photos.photo_upload, name="photo_upload"),
    path("patients/<int:pk>/photos/capture/", photos.photo_capture, name="photo_capture"),
    path("photos/<int:pk>/", photos.photo_detail, name="photo"),
    path("photos/<int:pk>/status/", photos.photo_status, name="photo_status"),
    path("photos/<int:pk>/image/", photos.photo_image, name="photo_image"),
    path("photos/<int:pk>/retry/", photos.photo_retry, name="photo_retry"),
    path("photos/<int:pk>/hide/", photos.photo_hide, name="photo_hide"),
    path("photos/<int:pk>/show/", photos.photo_show, name="photo_show"),
    # results
    path("patients/<int:pk>/compare/", results.comparison_new, name="comparison_new"),
    path("comparisons/<int:pk>/", results.comparison_detail, name="comparison"),
    path("comparisons/<int:pk>/status/", results.comparison_status, name="comparison_status"),
    path("comparisons/<int:pk>/visual/<str:name>/", results.comparison_visual, name="comparison_visual"),
    path("comparisons/<int:pk>/report.pdf", results.comparison_pdf, name="comparison_pdf"),
    path("comparisons/<int:pk>/retry/", results.comparison_retry, name="comparison_retry"),
    path("patients/<int:pk>/progress.png", results.progress_chart, name="progress_chart"),
    # the patient's own pages
    path("portal/", portal.portal, name="portal"),
    # clinic admin
    path("audit/", clinic_admin.audit_log, name="audit_log"),
    path("marketing/", clinic_admin.marketing_export, name="marketing_export"),
    path("marketing/export.zip", clinic_admin.marketing_zip, name="marketing_zip"),
]
