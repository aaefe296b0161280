from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from api.errors import not_found as api_not_found

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="endpoints:registry_list", permanent=False)),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v2.0/", include("api.urls")),
    re_path(r"^api(?:/|$)", api_not_found, name="api_not_found"),  # JSON, never an HTML page
    path("", include("monitor.urls")),
    path("", include("endpoints.urls")),
]
