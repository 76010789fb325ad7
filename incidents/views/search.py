"""The top bar's search page (``incidents.search``): an exact contract code or incident number goes
straight to its page; anything else lists the first hits of each kind, each a link."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from incidents import search as searching


@login_required
@require_GET
def search(request):
    text = searching.clean(request.GET.get("q", ""))
    target = searching.exact(request.user, text) if text else None
    if target is not None:
        return redirect(target)
    groups = searching.search(request.user, text)
    return render(
        request,
        "incidents/search.html",
        {"q": text, "groups": groups, "limit": searching.GROUP_LIMIT},
    )
