"""Validators shared by the portal's forms and the API's serializers (DRF turns Django's
ValidationError from a validator into a 400 by field)."""

import datetime as dt
import re

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


def plausible_date(value):
    """A day someone enters (a trigger, a payment): 1970 to 2099, as for moments. 9999-01-01 is a
    date, but ten years after it is none, and the due date computed from it was a 500."""
    if value is not None and not EARLIEST_MOMENT.date() <= value < LATEST_MOMENT.date():
        raise ValidationError(_("Give a date between 1970 and 2099."), code="implausible")


# Bidirectional controls: U+202A–U+202E (embeddings, overrides), U+2066–U+2069 (isolates) and the
# marks U+200E/U+200F. In a name they reorder what is shown ("invoice\u202efdp.exe" reads as
# "invoiceexe.pdf"), so two names that look alike differ and a list can be made to lie.
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def no_bidi_controls(value):
    """A name or a title: no bidirectional control characters."""
    if isinstance(value, str) and BIDI_CONTROLS.search(value):
        raise ValidationError(
            _("Remove the invisible characters that change the direction of the text (U+202A–U+202E etc.)."),
            code="bidi",
        )


def without_bidi_controls(text):
    """Multi-line text (a description, a work log's handling, an article) as a PDF or an export
    shows it: the controls taken out, so a line reads in the order it was typed. Refusing them in
    what a person pastes from a document would refuse text that is harmless on the page."""
    return BIDI_CONTROLS.sub("", text) if isinstance(text, str) else text
