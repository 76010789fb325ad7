"""What every API list shares: pagination, and the router that apps register their viewsets on."""

from rest_framework.pagination import PageNumberPagination
from rest_framework.routers import DefaultRouter


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


router = DefaultRouter()


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
