"""The administrators' overrides of China's official calendar, readable by every signed-in user."""

import django_filters
from rest_framework import permissions, serializers, viewsets

from contracts.models import CalendarDay
from om_portal.api import router


class CalendarDayFilterSet(django_filters.FilterSet):
    class Meta:
        model = CalendarDay
        fields = {"date": ["gte", "lte"], "is_working_day": ["exact"]}


class CalendarDaySerializer(serializers.ModelSerializer):
    class Meta:
        model = CalendarDay
        fields = ["date", "is_working_day", "name"]


class CalendarDayViewSet(viewsets.ReadOnlyModelViewSet):
    """Calendar days entered by administrators; ``?date__gte=2027-01-01&date__lte=2027-12-31``."""

    # The calendar is public knowledge, not contract data: no scoping, only a signed-in user.
    permission_classes = [permissions.IsAuthenticated]
    queryset = CalendarDay.objects.all()
    serializer_class = CalendarDaySerializer
    filterset_class = CalendarDayFilterSet
    ordering_fields = ["date"]
    lookup_field = "date"


router.register("calendar-days", CalendarDayViewSet, basename="calendar-day")
