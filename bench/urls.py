"""harborreg's URLs plus one benchmark-only view: the floor of an authenticated JSON POST
(session, user, permission check, CSRF, middleware), to separate Django's own cost from
what a Test Connection adds."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.http import require_POST

from endpoints.views import staff_permission_required
from harborreg.urls import urlpatterns as harborreg_urlpatterns


@require_POST
@staff_permission_required("endpoints.add_registry")
def floor(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True, "fields": len(request.POST)})


urlpatterns = [*harborreg_urlpatterns, path("bench/floor/", floor, name="bench_floor")]
