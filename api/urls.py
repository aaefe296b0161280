"""/api/v2.0/…: Harbor's registry operations, the service endpoints its clients call, and
the OpenAPI document with its docs page. Any other /api/ path is a JSON 404
(harborreg/urls.py)."""

from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView

from api import views

app_name = "api"


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from drf-spectacular-sidecar's files (no CDN); its init script is a URL of
    its own and the page has no inline style, so the site's CSP holds."""

    template_name = "api/swagger_ui.html"
    url_name = "api:openapi"
    title = "harborreg API"


urlpatterns = [
    path("registries", views.RegistriesView.as_view(), name="registries"),
    path("registries/ping", views.RegistryPingView.as_view(), name="registry_ping"),
    path("registries/<str:id>", views.RegistryView.as_view(), name="registry"),
    path("registries/<str:id>/info", views.RegistryInfoView.as_view(), name="registry_info"),
    path("replication/adapters", views.AdaptersView.as_view(), name="adapters"),
    path("replication/adapterinfos", views.AdapterInfosView.as_view(), name="adapter_infos"),
    path("ping", views.PingView.as_view(), name="ping"),
    path("health", views.HealthView.as_view(), name="health"),
    path("systeminfo", views.SystemInfoView.as_view(), name="systeminfo"),
    path("users/current", views.CurrentUserView.as_view(), name="current_user"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("docs/", DocsView.as_view(), name="docs"),
]
