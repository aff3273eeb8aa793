"""Liveness and readiness probes for load balancers and orchestrators."""

from django.db import DatabaseError, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _database_ok(alias: str) -> tuple[bool, str]:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return True, "ok"
    except DatabaseError as exc:
        connections[alias].close_if_unusable_or_obsolete()
        return False, exc.__class__.__name__


def _broker_ok() -> tuple[bool, str]:
    from linkstar.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
        return True, "ok"
    except Exception as exc:  # noqa: BLE001  any transport error means "not ready"
        return False, exc.__class__.__name__


@never_cache
@require_GET
def readyz(request):
    checks = {f"database:{alias}": _database_ok(alias) for alias in connections}
    checks["broker"] = _broker_ok()
    ready = all(ok for ok, _ in checks.values())
    body = {"status": "ready" if ready else "unavailable", "checks": {k: v[1] for k, v in checks.items()}}
    response = JsonResponse(body, status=200 if ready else 503)
    if not ready:
        response["Retry-After"] = "5"
    return response
