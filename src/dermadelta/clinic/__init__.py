"""The clinic application: a Django project around the imaging, protocol and outcomes libraries.

Apps, split by surface: ``accounts`` (clinics, staff roles, who may see what),
``records`` (patients, consents, consultations, plans, sessions, photos, comparisons,
and the actions and background tasks that change them), ``audit`` (the append-only
access log) and ``front`` (the server-rendered pages for staff and patients).
"""
