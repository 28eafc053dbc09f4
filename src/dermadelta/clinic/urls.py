from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from dermadelta.clinic.api.main import api

admin.site.site_header = "dermadelta administration"

# A request Django cannot read (a file name too long for an upload...) gets its reason in plain words.
handler400 = "dermadelta.clinic.front.views.errors.bad_request"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("dermadelta.clinic.front.urls")),
]
