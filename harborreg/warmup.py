"""What a worker does once when it starts, so that its first request is not the one that
pays for importing every view, compiling the templates and loading the form's widgets."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

TEMPLATES = (
    "base.html",
    "registration/login.html",
    "endpoints/registry_list.html",
    "endpoints/registry_detail.html",
    "endpoints/registry_form.html",
    "endpoints/registry_confirm_delete.html",
)


def warm_up() -> None:
    """Never fatal: a failure here only means a slower first request."""
    try:
        from crispy_forms.utils import render_crispy_form
        from django.template.loader import get_template
        from django.urls import get_resolver

        from endpoints.forms import RegistryForm

        get_resolver().url_patterns  # noqa: B018 (imports every view and its modules)
        for name in TEMPLATES:
            get_template(name)  # compiled once into the cached loader
        # crispy's own field templates; the form's {% csrf_token %} wants a value (any will do:
        # the output is thrown away), or Django warns about it with DEBUG on.
        render_crispy_form(RegistryForm(), context={"csrf_token": "warm-up"})
    except Exception:
        logger.warning("warm-up failed; the first requests will be slower", exc_info=True)
