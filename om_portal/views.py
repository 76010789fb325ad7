from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from om_portal import health


@never_cache
@require_safe
def healthz(request):
    """Database, broker and worker heartbeat: 200 when all are well, 503 naming what failed."""
    result = health.report()
    return JsonResponse(result, status=503 if result["failing"] else 200)
