from django.urls import path

from endpoints import views

app_name = "endpoints"

urlpatterns = [
    path("registries/", views.registry_list, name="registry_list"),
]
