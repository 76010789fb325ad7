"""The inbox: each person's notices (``om_portal.digest``), read and marked read in the portal and
through ``/api/v1/inbox/``. A person sees their own items only: ``items_of`` is the one queryset
every page and endpoint starts from."""

import django_filters
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from om_portal import events
from om_portal.api import router
from om_portal.filtering import YesNoSelect, list_filters
from om_portal.models import InboxItem

PAGE_SIZE = 50
# The bell shows at most this, then "99+": a count past it says nothing more.
BELL_MAX = 99


def items_of(user):
    """The user's inbox items, newest first; nobody else's, whatever the role."""
    if not user.is_authenticated:
        return InboxItem.objects.none()
    return InboxItem.objects.filter(user=user).select_related("notice")


def unread_count(user) -> int:
    return items_of(user).filter(read_at__isnull=True).count()


def mark_read(user, ids=None) -> int:
    """Mark the user's items read (all of them when ``ids`` is None); returns how many changed."""
    items = items_of(user).filter(read_at__isnull=True)
    if ids is not None:
        items = items.filter(pk__in=ids)
    return items.update(read_at=timezone.now())


class InboxFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=events.choices, label=gettext_lazy("Event"))
    contract = django_filters.CharFilter(field_name="contract_code", label=gettext_lazy("Contract"))
    unread = django_filters.BooleanFilter(
        field_name="read_at", lookup_expr="isnull", widget=YesNoSelect, label=gettext_lazy("Unread")
    )

    class Meta:
        model = InboxItem
        fields = ["kind", "contract", "unread"]


def bell(request):
    """Context processor: the unread count for the top bar, counted once per request and only
    on a page that shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count():
        if not hasattr(request, "_inbox_unread"):
            request._inbox_unread = unread_count(user)
        return request._inbox_unread

    return {"inbox_unread": SimpleLazyObject(count), "inbox_bell_max": BELL_MAX}


# --- Pages -------------------------------------------------------------------------------------


@login_required
def inbox_list(request):
    filters = list_filters(request, InboxFilterSet, items_of(request.user))
    page = Paginator(filters.rows, PAGE_SIZE).get_page(request.GET.get("page"))
    contracts = (
        items_of(request.user).exclude(contract_code="").order_by().values_list("contract_code", flat=True)
    )
    return render(
        request,
        "inbox/list.html",
        {
            "page": page,
            "kinds": events.choices(),
            "contracts": sorted(set(contracts)),
            "filtered": any(request.GET.get(name) for name in ("kind", "contract", "unread")),
        },
    )


@login_required
def inbox_open(request, pk):
    """One tap from the inbox to the object: marks the item read on the way."""
    item = get_object_or_404(items_of(request.user), pk=pk)
    mark_read(request.user, [item.pk])
    link = item.notice.link
    if not link or not url_has_allowed_host_and_scheme(link, allowed_hosts={request.get_host()}):
        link = "/inbox/"
    return HttpResponseRedirect(link)


@require_POST
@login_required
def inbox_mark_read(request):
    """Mark the posted items read (``item``, repeated), or every unread one (``all``)."""
    if request.POST.get("all"):
        count = mark_read(request.user)
    else:
        ids = [value for value in request.POST.getlist("item") if value.isdigit()]
        count = mark_read(request.user, ids)
    from django.contrib import messages

    messages.success(request, _("%(count)s marked read.") % {"count": count})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/inbox/"
    return HttpResponseRedirect(target or "/inbox/")


# --- API ---------------------------------------------------------------------------------------


class InboxItemSerializer(serializers.ModelSerializer):
    kind_label = serializers.SerializerMethodField()
    subject = serializers.CharField(source="notice.subject", read_only=True)
    text = serializers.CharField(source="notice.text", read_only=True)
    link = serializers.SerializerMethodField()
    contract = serializers.CharField(source="contract_code", read_only=True)

    class Meta:
        model = InboxItem
        fields = ["id", "kind", "kind_label", "contract", "subject", "text", "link", "created_at", "read_at"]
        read_only_fields = fields

    def get_kind_label(self, item) -> str:
        kind = events.CATALOGUE.get(item.kind)
        return str(kind.label) if kind else ""

    def get_link(self, item) -> str:
        from om_portal.notifications import absolute_url

        return absolute_url(item.notice.link) if item.notice.link else ""


class MarkReadSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=1000)
    all = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        if not attrs.get("all") and not attrs.get("ids"):
            raise serializers.ValidationError(_("Give the ids to mark read, or all: true."))
        return attrs


class InboxViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The caller's own inbox: ``?unread=true``, ``?kind=``, ``?contract=``; ``POST read/``."""

    serializer_class = InboxItemSerializer
    filterset_class = InboxFilterSet

    def get_queryset(self):
        return items_of(self.request.user)

    @extend_schema(request=MarkReadSerializer, responses={200: dict})
    @action(detail=False, methods=["post"])
    def read(self, request):
        serializer = MarkReadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            ids = None if serializer.validated_data["all"] else serializer.validated_data["ids"]
            count = mark_read(request.user, ids)
        return Response({"marked": count, "unread": unread_count(request.user)})

    @extend_schema(responses={200: dict})
    @action(detail=False, methods=["get"])
    def unread(self, request):
        return Response({"unread": unread_count(request.user)})


router.register("inbox", InboxViewSet, basename="inbox")
