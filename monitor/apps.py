from django.apps import AppConfig


class MonitorConfig(AppConfig):
    """Live health: the monitor that checks every endpoint on a schedule, the events of
    state changes and warnings, and the notification channels that carry them."""

    name = "monitor"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from endpoints import schedulers

        schedulers.register(monitor_running_since)


def monitor_running_since():
    """When the monitor that holds the lease now took it, or None when none holds it."""
    from monitor.lease import Lease

    lease = Lease.current()
    return lease.acquired_at if lease is not None else None
