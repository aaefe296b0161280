from django.apps import AppConfig


class EndpointsConfig(AppConfig):
    name = "endpoints"
    verbose_name = "Replication endpoints"

    def ready(self) -> None:
        from endpoints import checks  # noqa: F401  (registers the system checks)
