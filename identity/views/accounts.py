"""The security administrator's pages (/users/): accounts, roles, lockouts, second factors.

The rules are in identity.accounts; these pages only show and ask. Everyone else gets a 403.
"""

from axes.models import AccessAttempt
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from identity import accounts
from identity.models import Membership, Organization, Role

PAGE_SIZE = 50


class RoleForm(forms.Form):
    organization = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=Organization.objects.order_by("kind", "name")
    )
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)


class AccountForm(RoleForm):
    username = forms.RegexField(
        label=gettext_lazy("User name"),
        max_length=150,
        regex=r"^[\w.@+-]+\Z",
        help_text=gettext_lazy("Letters, digits and @ . + - _ only."),
    )
    full_name = forms.CharField(label=gettext_lazy("Full name"), max_length=150)
    email = forms.EmailField(label=gettext_lazy("Email"), required=False)
    password = forms.CharField(
        label=gettext_lazy("Initial password"),
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy(
            "At least 8 characters, from three of: upper case, lower case, digits, others."
        ),
    )
    field_order = ["username", "full_name", "email", "password", "organization", "role"]


def _locked_usernames(usernames) -> set[str]:
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return set(
        AccessAttempt.objects.filter(
            username__in=usernames,
            failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
            attempt_time__gte=since,
        ).values_list("username", flat=True)
    )


def _annotated(users):
    return users.prefetch_related(
        Prefetch("memberships", queryset=Membership.objects.select_related("organization"))
    ).annotate(devices=Count("totpdevice", filter=Q(totpdevice__confirmed=True)))


@login_required
def account_list(request):
    users = accounts.accounts(request.user)
    query = request.GET.get("q", "").strip()
    if query:
        users = users.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(memberships__organization__name__icontains=query)
        ).distinct()
    page = Paginator(_annotated(users).order_by("username"), PAGE_SIZE).get_page(request.GET.get("page"))
    locked = _locked_usernames([user.username for user in page.object_list])
    return render(request, "identity/accounts/list.html", {"page": page, "query": query, "locked": locked})


@login_required
@require_http_methods(["GET", "POST"])
def account_add(request):
    accounts.accounts(request.user)
    form = AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = accounts.create_account(
                request.user,
                username=data["username"],
                full_name=data["full_name"],
                email=data["email"],
                password=data["password"],
                organization=data["organization"],
                role=data["role"],
            )
        except accounts.AccountRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(request, _("Account %(name)s created.") % {"name": user.username})
            return redirect("accounts:detail", pk=user.pk)
    status = 400 if form.is_bound else 200
    return render(request, "identity/accounts/add.html", {"form": form}, status=status)


def _account(request, pk, *, shown=False):
    """The account ``pk`` among those the user manages (else 404); ``shown``: with its roles and
    second factor, for its page."""
    users = accounts.accounts(request.user)
    return get_object_or_404(_annotated(users) if shown else users, pk=pk)


def _detail(request, user, role_form=None, status=200):
    """The account's page; ``user`` as _account(..., shown=True) gives it."""
    context = {
        "account": user,
        "locked": user.username in _locked_usernames([user.username]),
        "role_form": role_form or RoleForm(),
        "own": user.pk == request.user.pk,
    }
    return render(request, "identity/accounts/detail.html", context, status=status)


@login_required
def account_detail(request, pk):
    return _detail(request, _account(request, pk, shown=True))


@login_required
@require_POST
def account_role_add(request, pk):
    user = _account(request, pk, shown=True)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _detail(request, user, form, status=400)
    try:
        accounts.add_role(request.user, user, form.cleaned_data["organization"], form.cleaned_data["role"])
    except accounts.AccountRefused as refused:
        form.add_error(None, str(refused))
        return _detail(request, user, form, status=400)
    messages.success(request, _("Role given."))
    return redirect("accounts:detail", pk=user.pk)


@login_required
@require_POST
def account_role_remove(request, pk, membership):
    user = _account(request, pk)
    found = get_object_or_404(Membership, pk=membership, user=user)
    try:
        accounts.remove_role(request.user, found)
    except accounts.AccountRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("Role removed."))
    return redirect("accounts:detail", pk=user.pk)


ACTIONS = {
    "activate": (lambda by, user: accounts.set_active(by, user, True), gettext_lazy("Account opened.")),
    "deactivate": (lambda by, user: accounts.set_active(by, user, False), gettext_lazy("Account closed.")),
    "unlock": (accounts.unlock, gettext_lazy("Lockout lifted.")),
    "reset-second-factor": (
        accounts.reset_second_factor,
        gettext_lazy("Second factor removed: the user sets up a new authenticator at the next login."),
    ),
}


@login_required
@require_POST
def account_act(request, pk, action):
    user = _account(request, pk)
    if action not in ACTIONS:
        raise Http404
    act, done = ACTIONS[action]
    try:
        act(request.user, user)
    except accounts.AccountRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, str(done))
    return redirect("accounts:detail", pk=user.pk)
