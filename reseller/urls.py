"""URL routes of the portal."""

from django.contrib import admin
from django.urls import include, path

from accounts import dashboard, views
from reseller import health

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/server.json", dashboard.server_json, name="dashboard-server-json"),
    path("dashboard/cancel/", dashboard.cancel, name="dashboard-cancel"),
    path("dashboard/root-password/", dashboard.reveal_password, name="dashboard-root-password"),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
