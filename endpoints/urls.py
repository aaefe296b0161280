from django.urls import path

from endpoints import views
from endpoints.views.registry_pages import registry_bulk_result, registry_status

app_name = "endpoints"

urlpatterns = [
    path("registries/", views.registry_list, name="registry_list"),
    path("registries/new/", views.registry_new, name="registry_new"),
    path("registries/test/", views.registry_test_new, name="registry_test_new"),
    path("registries/bulk/", views.registry_bulk, name="registry_bulk"),
    path("registries/bulk/results/", registry_bulk_result, name="registry_bulk_result"),
    path("registries/status/", registry_status, name="registry_status"),
    path("registries/<int:pk>/", views.registry_detail, name="registry_detail"),
    path("registries/<int:pk>/edit/", views.registry_edit, name="registry_edit"),
    path("registries/<int:pk>/test/", views.registry_test, name="registry_test"),
    path("registries/<int:pk>/check/", views.registry_check, name="registry_check"),
    path("registries/<int:pk>/delete/", views.registry_delete, name="registry_delete"),
]
