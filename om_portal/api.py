"""What every API list shares: pagination, and the router that apps register their viewsets on;
what every API field of a kind shares: filter moments in UTC, times of day in the schema; what
every API error of a kind shares: a conflict is a 409, a Django validation error a 400, a model's
own rules checked before saving."""

import copy

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.pagination import PageNumberPagination
from rest_framework.routers import DefaultRouter
from rest_framework.settings import api_settings

from om_portal.filtering import filtered, restrict_choices


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


router = DefaultRouter()


class FilterBackend(DjangoFilterBackend):
    """django-filter's, with the choices the user may see and the moments of every filter in UTC,
    as the portal's lists read the same filtersets (``om_portal.filtering``); a bad value is a 400."""

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
        return filtered(filterset)


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


class Conflict(APIException):
    """The request is sound but the record's state refuses it (a report already submitted, a row
    that past records still point at): a 409 with the reason."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The record is not in a state that allows this.")
    default_code = "conflict"


def drf_validation_error(
    error: DjangoValidationError, *, whole_key: str | None = None
) -> serializers.ValidationError:
    """A Django ValidationError as DRF's: a 400 with the messages by field.

    Django files the messages about the whole object under ``__all__``, or gives a bare list;
    ``whole_key`` names where the client reads them instead (``non_field_errors`` where a
    serializer checks a model's rules, as DRF files its own). Without it, a service's error keeps
    Django's shape, as the API has always answered."""
    if hasattr(error, "error_dict"):
        detail = error.message_dict
        if whole_key and NON_FIELD_ERRORS in detail:
            detail[whole_key] = detail.pop(NON_FIELD_ERRORS)
    else:
        detail = {whole_key: error.messages} if whole_key else error.messages
    return serializers.ValidationError(detail)


class ModelRulesMixin:
    """For a ModelSerializer: runs the model's clean(), field checks and constraints on the object as it would
    be saved, so that a rule lives once (in the model) and reaches the API as a 400 with its field,
    never as an IntegrityError. Relations are left to the serializer, which checked them against
    the caller's scope already."""

    def _own_fields(self, attrs) -> list[str]:
        concrete = {f.name for f in self.Meta.model._meta.concrete_fields}
        return [name for name in attrs if name in concrete]

    def candidate(self, attrs):
        instance = copy.copy(self.instance) if self.instance is not None else self.Meta.model()
        for name in self._own_fields(attrs):
            setattr(instance, name, attrs[name])
        return instance

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = self.candidate(attrs)
        relations = [f.name for f in instance._meta.concrete_fields if f.is_relation]
        try:
            instance.full_clean(exclude=relations, validate_unique=False)
        except DjangoValidationError as error:
            raise drf_validation_error(error, whole_key=api_settings.NON_FIELD_ERRORS_KEY) from None
        # clean() may normalise a value (times of day sorted): save what it settled on.
        for name in self._own_fields(attrs):
            attrs[name] = getattr(instance, name)
        return attrs


def exception_handler(exc, context):
    """DRF's handler, plus: a service's Django ValidationError is a 400 with its messages, never a
    500, and a service's PermissionDenied keeps its reason in the 403."""
    from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
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
