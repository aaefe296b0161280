"""The Registries pages. A view fetches, calls a service, flashes, renders or redirects."""

from endpoints.views.common import staff_permission_required
from endpoints.views.registry_form import (
    registry_edit,
    registry_new,
    registry_test,
    registry_test_new,
    switch_provider_initial,
)
from endpoints.views.registry_pages import (
    PAGE_SIZES,
    registry_bulk,
    registry_check,
    registry_delete,
    registry_detail,
    registry_list,
)

__all__ = [
    "PAGE_SIZES", "registry_bulk", "registry_check", "registry_delete", "registry_detail",
    "registry_edit", "registry_list", "registry_new", "registry_test", "registry_test_new",
    "staff_permission_required", "switch_provider_initial",
]
