from django.apps import AppConfig


class MonitorConfig(AppConfig):
    """Live health: the monitor that checks every endpoint on a schedule, the events of
    state changes and warnings, and the notification channels that carry them."""

    name = "monitor"
    verbose_name = "Monitoring"
