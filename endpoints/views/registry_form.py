"""New / Edit Endpoint and its Test Connection."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.models import ADDITION
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from endpoints import audit, names, secrets, services, throttle
from endpoints.forms import RegistryForm
from endpoints.models import Registry
from endpoints.probe.result import Verdict
from endpoints.providers import PROVIDERS, enabled_providers, get_provider, proxy_cache_provider_keys
from endpoints.views.common import list_url, staff_permission_required, throttled, wants_json

SECRET_FIELDS = ("access_secret", "pending_secret")
# A second identical "create" within this time, by the same user, is the same save (a
# double click, a reload of the POST): it lands on the saved endpoint instead of an error.
REPEATED_SAVE_WINDOW = timedelta(minutes=1)


def _form_context(form: RegistryForm, registry: Registry, **extra) -> dict:
    return {
        "form": form,
        "registry": registry,
        "title": "New Registry Endpoint" if registry.pk is None else "Edit Endpoint",
        "providers": [
            {**p.form_metadata(), "proxy_cache": p.key in proxy_cache_provider_keys()}
            for p in enabled_providers()
        ],
        "proxy_cache_providers": proxy_cache_provider_keys(),
        "proxy_cache_labels": ", ".join(get_provider(k).label for k in proxy_cache_provider_keys()),
        "pending_secret": form.pending_secret_token() if form.is_bound else "",
        "test_deadline": settings.ENDPOINT_TEST_DEADLINE,
        **extra,
    }


def _render_form(request: HttpRequest, form: RegistryForm, registry: Registry, status: int = 200,
                 **extra) -> HttpResponse:
    """The form page. Its answer gets the focus when the page loads, where the admin acts on
    it: the first field in error, else the test result (or refusal) by the buttons."""
    focus_result = False
    if form.is_bound and form.errors:
        first = form.first_invalid_field()
        if first is not None:
            form.focus_field(first)
        extra["focus_summary"] = first is None
    else:
        focus_result = bool(extra.get("verdict") or extra.get("refusal"))
    return render(request, "endpoints/registry_form.html",
                  _form_context(form, registry, focus_result=focus_result, **extra), status=status)


def _refused(request: HttpRequest, refusal: throttle.Throttled, form: RegistryForm,
             registry: Registry) -> HttpResponse:
    """A test the user's limits (or the server) refused: JSON, or the form as typed with the
    refusal by the buttons."""
    if wants_json(request):
        return throttled(request, refusal)
    response = _render_form(request, form, registry, status=refusal.status, refusal=refusal)
    response["Retry-After"] = str(refusal.retry_after)
    return response


def _saved_moments_ago(request: HttpRequest, form: RegistryForm) -> Registry | None:
    """The endpoint this very form created moments ago, when its name now refuses the same
    save again: the same user, within REPEATED_SAVE_WINDOW, every field and the secret equal.
    (A double click's first request saves while the second runs its test.)"""
    typed = names.normalize_name(form.data.get("name", ""))
    if not form.is_new or not typed or set(form.errors) - {"name"}:
        return None
    since = timezone.now() - REPEATED_SAVE_WINDOW
    holder = Registry.objects.filter(name_key=names.name_key(typed), name=typed,
                                     created_at__gte=since).first()
    if holder is None or not form.describes(holder):
        return None
    added_by_user = audit.entries_for(holder).filter(action_flag=ADDITION, user_id=request.user.pk)
    return holder if added_by_user.exists() else None


def _saved(request: HttpRequest, registry: Registry, created: bool, verdict: Verdict | None,
           url_notice: str = "") -> HttpResponse:
    messages.success(
        request, "Created endpoint successfully." if created else "Updated endpoint successfully."
    )
    if url_notice:  # what normalizing the URL changed ("/v2 was removed", punycode …)
        messages.info(request, url_notice)
    if verdict is not None and not verdict.ok:
        messages.warning(request, f"“{registry.name}” was saved as Unhealthy: {verdict.reason}")
    return redirect(list_url(request))


def _saved_before(request: HttpRequest, registry: Registry) -> HttpResponse:
    """The answer to a repeated save: what the first one said."""
    messages.success(request, "Created endpoint successfully.")
    if registry.status == Registry.Status.UNHEALTHY:
        messages.warning(request, f"“{registry.name}” was saved as Unhealthy: {registry.status_detail}")
    return redirect(list_url(request))


def _registry_form(request: HttpRequest, registry: Registry) -> HttpResponse:
    if request.method != "POST":
        form = RegistryForm(instance=registry, provider_key=request.GET.get("provider"))
        return _render_form(request, form, registry)

    action = request.POST.get("action", "save")
    if action == "switch_provider":  # without JavaScript: re-render for the chosen provider
        form = RegistryForm(instance=registry, initial=switch_provider_initial(request.POST),
                            provider_key=request.POST.get("provider"))
        return _render_form(request, form, registry)
    form = RegistryForm(request.POST, instance=registry, test_only=action == "test")
    if action == "test":
        return _test_connection(request, form, registry)

    if not form.validate_for_save():
        if (same := _saved_moments_ago(request, form)) is not None:
            return _saved_before(request, same)
        return _render_form(request, form, registry, status=400)
    if not form.has_changes():
        messages.info(request, "No changes to save.")
        return redirect(list_url(request))
    verdict: Verdict | None = None
    if form.needs_connection_test():
        signed = services.unsign_verdict(request.POST.get("verdict", ""), form.connection_fingerprint())
        if action == "save_anyway" and signed is not None:
            verdict = signed
        else:
            try:
                verdict = _tested(request, form, registry)
            except throttle.Throttled as refusal:
                return _refused(request, refusal, form, registry)
            if not verdict.ok:
                return _render_form(request, form, registry, status=200, verdict=verdict,
                                    save_anyway=services.sign_verdict(verdict, form.connection_fingerprint()))
    created = registry.pk is None
    try:
        registry = services.save_endpoint(form.save(commit=False), request.user,
                                          form.changed_field_labels(), verdict)
    except IntegrityError:  # the name was taken while the save-time test ran
        form.add_error("name", f"An endpoint named “{form.cleaned_data['name']}” already exists "
                               "(names are not case-sensitive).")
        if (same := _saved_moments_ago(request, form)) is not None:  # by this form's first click
            return _saved_before(request, same)
        return _render_form(request, form, registry, status=400)
    return _saved(request, registry, created, verdict, form.url_notice)


def switch_provider_initial(data) -> dict:
    """What the form keeps when the provider changes without JavaScript: everything typed
    except the secret, and except a URL or Access ID the previous provider fixed, or a URL
    it suggested (it would only be refused, and hide the new provider's suggestions)."""
    chosen = data.get("provider")
    own_urls = {s.url for s in PROVIDERS[chosen].url_suggestions()} if chosen in PROVIDERS else set()
    foreign_urls = {p.default_url for p in PROVIDERS.values() if p.default_url} | {
        s.url for p in PROVIDERS.values() for s in p.url_suggestions()
    }
    fixed_ids = {p.fixed_access_id for p in PROVIDERS.values() if p.fixed_access_id}
    initial = {k: v for k, v in data.items() if k not in (*SECRET_FIELDS, "action", "verdict")}
    if initial.get("url") in foreign_urls - own_urls:
        del initial["url"]
    if initial.get("access_id") in fixed_ids:
        del initial["access_id"]
    initial["verify_remote_cert"] = "verify_remote_cert" in data  # an unticked box is absent
    return initial


def _tested(request: HttpRequest, form: RegistryForm, registry: Registry) -> Verdict:
    """What the form says now, tested within the user's limits (may raise throttle.Throttled):
    the typed secret, else the stored one where the rules allow it (form.withheld_because
    says why not)."""
    try:
        target = form.connection_target()
    except secrets.SecretDecryptionError:
        return services.undecryptable_verdict()  # no connection made
    return services.run_connection_test(request.user, target, form.withheld_because,
                                        registry if registry.pk else None)


def _test_connection(request: HttpRequest, form: RegistryForm, registry: Registry) -> HttpResponse:
    errors = form.connection_errors()
    if errors:
        if wants_json(request):
            verdict = services.invalid_verdict(" ".join(str(m) for m in sum(errors.values(), [])))
            field_errors = {field: [str(m) for m in messages_] for field, messages_ in errors.items()}
            return JsonResponse({**verdict.as_json(), "errors": field_errors}, status=400)
        return _render_form(request, form, registry, status=400)
    try:
        verdict = _tested(request, form, registry)
    except throttle.Throttled as refusal:
        return _refused(request, refusal, form, registry)
    if wants_json(request):
        return JsonResponse(verdict.as_json())
    return _render_form(request, form, registry, verdict=verdict)


@sensitive_post_parameters(*SECRET_FIELDS)
@require_http_methods(["GET", "POST"])
@staff_permission_required("endpoints.add_registry")
def registry_new(request: HttpRequest) -> HttpResponse:
    return _registry_form(request, Registry())


@sensitive_post_parameters(*SECRET_FIELDS)
@require_http_methods(["GET", "POST"])
@staff_permission_required("endpoints.change_registry")
def registry_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _registry_form(request, get_object_or_404(Registry, pk=pk))


@sensitive_post_parameters(*SECRET_FIELDS)
@require_POST
@staff_permission_required("endpoints.add_registry")
def registry_test_new(request: HttpRequest) -> HttpResponse:
    registry = Registry()
    return _test_connection(request, RegistryForm(request.POST, instance=registry, test_only=True), registry)


@sensitive_post_parameters(*SECRET_FIELDS)
@require_POST
@staff_permission_required("endpoints.change_registry")
def registry_test(request: HttpRequest, pk: int) -> HttpResponse:
    registry = get_object_or_404(Registry, pk=pk)
    return _test_connection(request, RegistryForm(request.POST, instance=registry, test_only=True), registry)
