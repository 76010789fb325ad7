"""What every API list shares: pagination, and the router that apps register their viewsets on;
what every API field of a kind shares: filter moments in UTC, times of day in the schema."""

import datetime as dt

from django.utils.translation import gettext_lazy as _
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.routers import DefaultRouter


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


router = DefaultRouter()


def _in_utc(value):
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    if isinstance(value, slice):  # a from-to range filter's value
        return slice(_in_utc(value.start), _in_utc(value.stop))
    return value


def restrict_choices(form, user):
    """A filter naming an object (``?asset=``, ``?run=``, ``?slot=``, ``?incident=``) chooses among
    the objects the user may see: another organisation's id is then refused as a missing one is,
    where it answered 200 (an empty list) against a missing one's 400, an existence oracle."""
    for field in form.fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is not None and hasattr(queryset, "restrict"):
            field.queryset = queryset.restrict(user)


class FilterBackend(DjangoFilterBackend):
    """django-filter's, with the moments of every filter in UTC.

    ISO 8601 lets a client write any offset up to ±23:59 (``?reported_at_after=2026-07-24T09:30
    -16:43`` is the same instant as ``…T18:13Z``), and django-filter hands it to the query as
    written; PostgreSQL refuses offsets beyond ±15:59 with a DataError, which was a 500.
    """

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            restrict_choices(filterset.form, request.user)
        return filterset

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid() and self.raise_exception:
            raise utils.translate_validation(filterset.errors)
        cleaned = filterset.form.cleaned_data
        for name, value in cleaned.items():
            cleaned[name] = _in_utc(value)
        return filterset.qs


class TimeOfDayField(OpenApiSerializerFieldExtension):
    """A ``TimeField`` in the schema as what DRF sends: a wall-clock time such as ``09:00:00``.

    drf-spectacular writes ``format: time``, which JSON Schema defines as RFC 3339's full-time,
    offset included (``09:00:00+08:00``); a contract's business day or a duty shift is a time
    of day in the contract's own zone, and carries none.
    """

    target_class = "rest_framework.fields.TimeField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "string",
            "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$",
            "example": "09:00:00",
        }


def drf_validation_error(error):
    """A Django ValidationError from a service as DRF's (a 400 with the messages by field)."""
    from rest_framework.exceptions import ValidationError

    return ValidationError(error.message_dict if hasattr(error, "error_dict") else error.messages)


def exception_handler(exc, context):
    """DRF's handler, plus: a service's Django ValidationError is a 400 with its messages, never a
    500, and a service's PermissionDenied keeps its reason in the 403."""
    from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
    from django.core.exceptions import ValidationError as DjangoValidationError
    from rest_framework.exceptions import PermissionDenied
    from rest_framework.views import exception_handler as drf_handler

    if isinstance(exc, DjangoValidationError):
        exc = drf_validation_error(exc)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied(str(exc) or None)
    return drf_handler(exc, context)


# --- Numbers in ASCII digits ----------------------------------------------------------------------
# Python's int() and Decimal() read any script's digits: "１２３" (full-width, from a Chinese input
# method) and "١٢٣" were stored as 123. For amounts and counts a refusal that says so is safer than
# a guess (issue 14), so every number field a model serializer makes takes ASCII text only.


class _AsciiNumber:
    def to_internal_value(self, data):
        if isinstance(data, str) and not data.isascii():
            raise serializers.ValidationError(
                _("Write the number in ASCII digits (0–9), not full-width or other digits."), code="invalid"
            )
        return super().to_internal_value(data)


class AsciiIntegerField(_AsciiNumber, serializers.IntegerField):
    pass


class AsciiDecimalField(_AsciiNumber, serializers.DecimalField):
    pass


class AsciiFloatField(_AsciiNumber, serializers.FloatField):
    pass


_ASCII = {
    serializers.IntegerField: AsciiIntegerField,
    serializers.DecimalField: AsciiDecimalField,
    serializers.FloatField: AsciiFloatField,
}
serializers.ModelSerializer.serializer_field_mapping.update(
    {
        model_field: _ASCII[field]
        for model_field, field in serializers.ModelSerializer.serializer_field_mapping.items()
        if field in _ASCII
    }
)
