from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from contracts.models import Contract


@login_required
def contract_list(request):
    contracts = Contract.objects.restrict(request.user).select_related("client", "vendor")
    page = Paginator(contracts, 50).get_page(request.GET.get("page"))
    return render(request, "contracts/contract_list.html", {"page": page})


@login_required
def contract_detail(request, code):
    contract = get_object_or_404(
        Contract.objects.restrict(request.user).select_related("client", "vendor"), code=code
    )
    return render(request, "contracts/contract_detail.html", {"contract": contract})
