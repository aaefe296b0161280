"""GitHub GHCR (`github-ghcr`): GitHub's container registry, at the fixed https://ghcr.io,
with a GitHub user name and a personal access token (classic)."""

from __future__ import annotations

from endpoints.probe.engine import Probe
from endpoints.probe.flows import check_registry_v2
from endpoints.probe.result import Category
from endpoints.probe.target import Target
from endpoints.providers._common import add_error, require_access_id, require_fixed_url
from endpoints.providers.base import FieldErrors, Provider, UrlMode

GHCR_URL = "https://ghcr.io"
# GitHub Packages accepts only classic personal access tokens; fine-grained ones start so.
FINE_GRAINED_PREFIX = "github_pat_"
UNREACHABLE = (Category.DNS, Category.CONNECT, Category.TIMEOUT)
# The URL is fixed, so there is nothing in the form to correct: the path to ghcr.io is
# (Harbor #21979 was an egress proxy refusing it).
UNREACHABLE_HINT = ("This server must reach ghcr.io on port 443 (the registry and its token service "
                    "https://ghcr.io/token): ask the operator of this server to allow ghcr.io in the "
                    "firewall and in the proxy, or to set HTTPS_PROXY (a server setting).")
TOKEN_HELP = ("a personal access token (classic) with the read:packages scope to pull and write:packages to "
              "push (delete:packages to delete), created under GitHub → Settings → Developer settings → "
              "Personal access tokens → Tokens (classic)")


class GithubGhcr(Provider):
    key = "github-ghcr"
    label = "GitHub GHCR"

    url_mode = UrlMode.FIXED
    default_url = GHCR_URL
    url_placeholder = GHCR_URL
    url_help = (
        "Fixed: https://ghcr.io, GitHub's container registry. It has no catalog, so a replication rule "
        "that pulls from it needs exact repository names (owner/image, or owner/{a,b}); wildcards such "
        "as owner/** find nothing."
    )

    access_id_placeholder = "GitHub user name"
    access_id_help = (
        "Your GitHub user name (the login, e.g. octocat), not the e-mail address. Leave Access ID and "
        "Access Secret empty to pull public packages anonymously."
    )
    access_secret_placeholder = "ghp_…"
    access_secret_help = (
        f"Paste {TOKEN_HELP}. GitHub Packages accepts only classic tokens: a fine-grained token "
        "(github_pat_…), a workflow's GITHUB_TOKEN (it expires with the job) and your GitHub password do "
        "not work here. If the packages belong to an organization that uses SAML single sign-on, "
        "authorize the token for it (Configure SSO → Authorize, next to the token)."
    )

    def clean(self, url: str, access_id: str, access_secret: str, secret_given: bool) -> FieldErrors:
        errors: FieldErrors = {}
        require_fixed_url(errors, url, GHCR_URL, self.label)
        if "@" in access_id:
            add_error(errors, "access_id",
                      "Enter your GitHub user name (the login, e.g. octocat), not the e-mail address.")
        if access_secret.strip().startswith(FINE_GRAINED_PREFIX):
            add_error(errors, "access_secret",
                      "This is a fine-grained token, which GitHub Packages does not accept: create "
                      f"{TOKEN_HELP}.")
        require_access_id(errors, access_id, secret_given, "your GitHub user name")
        return errors

    def check(self, probe: Probe, target: Target) -> None:

        refused = (
            f"GitHub refused “{target.access_id}” with this token: enter a personal access token (classic) "
            "of that user with read:packages (write:packages to push) that has not expired or been "
            "revoked, not your GitHub password. If the packages belong to an organization with SAML single "
            "sign-on (SSO), authorize the token for it (Configure SSO, next to the token on GitHub)."
        )
        with probe.advice(**{category: UNREACHABLE_HINT for category in UNREACHABLE}):
            check_registry_v2(probe, target, GHCR_URL, hints={"auth": refused})
