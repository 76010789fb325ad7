"""Validators shared by the portal's forms and the API's serializers (DRF turns Django's
ValidationError from a validator into a 400 by field)."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

EARLIEST_MOMENT = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST_MOMENT = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)


def plausible_moment(value):
    """A moment someone enters (reported, asked, occurred, started...): 1970 to 2099.

    Year 186 parses, but nothing of a service contract happened then; and before 1901 the
    portal's zone (Asia/Shanghai) has its local mean time, +08:05:43, which no client parses as
    an RFC 3339 offset when the moment comes back in an answer (found by tests/fuzz).
    """
    if value is not None and not EARLIEST_MOMENT <= value < LATEST_MOMENT:
        raise ValidationError(_("Give a date and time between 1970 and 2099."), code="implausible")
