from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "dermadelta administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("dermadelta.clinic.front.urls")),
]
