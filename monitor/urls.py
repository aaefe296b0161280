from django.urls import path

from monitor import views

app_name = "monitor"

urlpatterns = [
    path("events/", views.event_list, name="event_list"),
]
