from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from dermadelta.clinic.api.main import api

admin.site.site_header = "dermadelta administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("dermadelta.clinic.front.urls")),
]
