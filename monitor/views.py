"""Recent events: every endpoint's state changes and warnings, newest first."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from endpoints.views.common import staff_permission_required
from monitor.lease import Lease
from monitor.models import Delivery, Event

EVENTS_PER_PAGE = 50


@require_GET
@staff_permission_required("endpoints.view_registry")
def event_list(request: HttpRequest) -> HttpResponse:
    deliveries = Delivery.objects.select_related("channel").order_by("pk")
    events = Event.objects.exclude(kind=Event.Kind.TEST).prefetch_related(Prefetch("deliveries", deliveries))
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    lease = Lease.current()
    return render(request, "monitor/event_list.html", {
        "page": page,
        "lease": lease,
        "heartbeat_age": int((timezone.now() - lease.heartbeat_at).total_seconds()) if lease else None,
        "interval": settings.HEALTH_CHECK_INTERVAL,
        "can_manage_channels": request.user.has_perm("monitor.view_notificationchannel"),
        "alert_after": settings.HEALTH_ALERT_AFTER,
    })
