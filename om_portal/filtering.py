"""One FilterSet per model, read alike by the portal's list and by the API (NetBox's way): the same
query string selects the same rows on a page and in ``/api/v1/``. What both sides do with it is
here: choices narrowed to what the user may see, moments in UTC, and a bad value refused with a
reason (the API's 400 is ``om_portal.api.FilterBackend``; a page says it and leaves that filter
out, as it always ignored what it could not read)."""

import datetime as dt

from django.contrib import messages
from django.forms import NullBooleanSelect
from django.utils.translation import gettext as _


class YesNoSelect(NullBooleanSelect):
    """A boolean filter that reads the portal's ``yes``/``no`` (its selects and bookmarks) as
    well as the API's ``true``/``false``."""

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        if value in ("yes", "no"):
            return value == "yes"
        return super().value_from_datadict(data, files, name)


def restrict_choices(form, user):
    """A filter naming an object (``?asset=``, ``?run=``, ``?slot=``, ``?incident=``) chooses among
    the objects the user may see: another organisation's id is then refused as a missing one is,
    where it answered 200 (an empty list) against a missing one's 400, an existence oracle."""
    for field in form.fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is not None and hasattr(queryset, "restrict"):
            field.queryset = queryset.restrict(user)


def in_utc(value):
    """ISO 8601 lets a client write any offset up to ±23:59 (``…T09:30-16:43`` is the same instant
    as ``…T18:13Z``), and django-filter hands it to the query as written; PostgreSQL refuses
    offsets beyond ±15:59 with a DataError, which was a 500."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    if isinstance(value, slice):  # a from-to range filter's value
        return slice(in_utc(value.start), in_utc(value.stop))
    return value


def filtered(filterset):
    """The filterset's rows, by the filters whose values are valid, moments in UTC."""
    if filterset.is_bound:
        filterset.is_valid()
        cleaned = filterset.form.cleaned_data
        for name, value in cleaned.items():
            cleaned[name] = in_utc(value)
    return filterset.qs


def list_filters(request, filterset_class, queryset):
    """A portal list's filterset over the user's rows, bound to the query string: a value it cannot
    read becomes a message on the page, and the list is shown without that filter."""
    filterset = filterset_class(request.GET, queryset=queryset, request=request)
    restrict_choices(filterset.form, request.user)
    if not filterset.is_valid():
        for name, errors in filterset.errors.items():
            field = filterset.form.fields.get(name)
            label = field.label if field is not None and field.label else _("Filter")
            message = _("The filter “%(name)s” was left out: %(error)s")
            messages.error(request, message % {"name": label, "error": " ".join(errors)})
    filterset.rows = filtered(filterset)
    return filterset
