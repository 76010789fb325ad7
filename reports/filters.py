"""The filters of reports: one FilterSet, read by the portal's list and by the API alike
(``om_portal.filtering``), so that a query string means the same in both."""

import django_filters
from django.utils.translation import gettext_lazy as _

from contracts.filters import ContractFilterSetMixin
from reports.models import Report, ReportKind


class ReportFilterSet(ContractFilterSetMixin):
    kind = django_filters.ChoiceFilter(choices=ReportKind.choices, label=_("Kind"))
    status = django_filters.ChoiceFilter(choices=Report.Status.choices, label=_("Status"))
    # Together, the reports whose period overlaps [period_from, period_to].
    period_from = django_filters.DateFilter(
        field_name="period_end", lookup_expr="gte", label=_("periods ending on or after")
    )
    period_to = django_filters.DateFilter(
        field_name="period_start", lookup_expr="lte", label=_("periods starting on or before")
    )

    class Meta:
        model = Report
        fields = ["contract", "kind", "status", "period_from", "period_to"]
