"""Harbor (`harbor`): another Harbor instance."""

from endpoints.providers._common import add_error, base_of, path_of, reject_v2_path, require_access_id
from endpoints.providers.base import FieldErrors, Provider, UrlMode

# Paths of Harbor's web UI and API: pasting one from the browser is a common mistake.
UI_PATH_PREFIXES = ("/harbor", "/api", "/account")


class Harbor(Provider):
    key = "harbor"
    label = "Harbor"

    url_mode = UrlMode.FREE
    url_placeholder = "https://harbor.example.com"
    url_help = (
        "Enter the full URL of the Harbor instance, for example https://harbor_instance_address:443: "
        "its external URL as users open it in a browser, without a page path such as /harbor/projects. "
        "The registry must exist and be running before you create the endpoint."
    )

    access_id_placeholder = "robot$replicator"
    access_id_help = (
        "A Harbor user name, or a robot account such as robot$name (project robots look like "
        "robot$project+name). Use an account that has write permission on the corresponding project "
        "in that Harbor when replicating to it, or pull permission when replicating from it. "
        "Leave Access ID and Access Secret empty for anonymous access to public projects."
    )
    access_secret_placeholder = "Password or robot secret"
    access_secret_help = (
        "The user's password, or the robot account's secret (shown once, when the robot account was "
        "created; refresh it in Harbor if it is lost)."
    )

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        path = path_of(url)
        if any(path == prefix or path.startswith(prefix + "/") for prefix in UI_PATH_PREFIXES):
            add_error(
                errors,
                "url",
                f"Remove the page path “{path}”: enter the Harbor address only, e.g. {base_of(url)}.",
            )
        else:
            reject_v2_path(errors, url)
        require_access_id(errors, access_id, secret_given, "a Harbor user name or robot$name")
        return errors
