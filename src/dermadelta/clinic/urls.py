from __future__ import annotations

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from dermadelta.clinic.api.main import api

admin.site.site_header = "dermadelta administration"

# A request Django cannot read (a file name too long for an upload...) gets its reason in plain words.
handler400 = "dermadelta.clinic.front.views.errors.bad_request"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url=static("front/favicon.svg"), permanent=True)),
    path("", include("dermadelta.clinic.front.urls")),
]
