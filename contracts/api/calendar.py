"""China's working-day calendar, readable by every signed-in user: the administrators' overrides
(``calendar-days``) and every day of a range as the engine counts it (``working-days``)."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.response import Response

from contracts import worktime
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


# The longest range one request may ask for: two years of days.
MAX_DAYS = 731


class DateRangeSerializer(serializers.Serializer):
    """``?start=&end=``: both days included, at most two years."""

    start = serializers.DateField()
    end = serializers.DateField()

    def validate(self, attrs):
        # The calendar is known from 1970 to 2099 at most; beyond, a day's arithmetic overflows.
        for name in ("start", "end"):
            if not 1970 <= attrs[name].year <= 2099:
                raise serializers.ValidationError({name: "Ask for days between 1970 and 2099."})
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": "The range ends before it starts."})
        if (attrs["end"] - attrs["start"]).days >= MAX_DAYS:
            raise serializers.ValidationError({"end": f"Ask for at most {MAX_DAYS} days at once."})
        return attrs


def date_range(request) -> tuple:
    """The query's range, or a 400 naming the field."""
    query = DateRangeSerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data["start"], query.validated_data["end"]


class WorkingDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    is_working_day = serializers.BooleanField()
    kind = serializers.ChoiceField(
        choices=[worktime.WORKDAY, worktime.WEEKEND, worktime.HOLIDAY, worktime.MAKEUP_WORKDAY],
        help_text="makeup_workday: a weekend day made a working day by a holiday swap (调休).",
    )
    name = serializers.CharField(allow_blank=True)
    source = serializers.ChoiceField(
        choices=[worktime.OVERRIDE, worktime.ADMIN_YEAR, worktime.OFFICIAL, worktime.ESTIMATE]
    )
    official = serializers.BooleanField(
        help_text="False for a year whose schedule is not published (2027): the answer is an estimate."
    )


class RosterGapsSerializer(serializers.Serializer):
    """A contract's days of a range that need somebody on site and have nobody."""

    contract = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    onsite_on_non_working_days = serializers.BooleanField()
    count = serializers.IntegerField()
    gaps = WorkingDaySerializer(many=True)


class WorkingDayViewSet(viewsets.ViewSet):
    """Every day of a range as the deadlines count it (``?start=2025-09-29&end=2025-10-12``):
    working days, weekends, holidays and their swapped days off, make-up working days (调休),
    with the administrators' overrides applied; not only the overrides, as ``calendar-days``."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(parameters=[DateRangeSerializer], responses=WorkingDaySerializer(many=True))
    def list(self, request):
        start, end = date_range(request)
        return Response(WorkingDaySerializer(worktime.calendar_days(start, end), many=True).data)


router.register("working-days", WorkingDayViewSet, basename="working-day")
