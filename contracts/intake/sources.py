"""The sources of a contract's accepted terms, for its tabs: "依据：第六条第2款" beside a term,
linking to its sentence in the original text. Upper apps' tabs use the same (their objects are
recorded by the accept, contracts.intake.accept)."""

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from contracts.models.intake import TermSource


def term_sources(contract) -> dict[tuple[int, int], TermSource]:
    """The contract's sources by (content type, object id): one query."""
    return {
        (s.content_type_id, s.object_id): s
        for s in TermSource.objects.filter(contract=contract, object_id__isnull=False).only(
            "content_type_id", "object_id", "upload_id", "start", "end", "label"
        )
    }


def source_url(source: TermSource) -> str:
    url = reverse("contracts:intake-text", kwargs={"pk": source.upload_id})
    return f"{url}?start={source.start}&end={source.end}#span-source"


def source_link(sources: dict, obj) -> str:
    if not sources or obj is None:
        return ""
    return _link(sources.get((ContentType.objects.get_for_model(obj).pk, obj.pk)))


def _link(source: TermSource | None) -> str:
    if source is None:
        return ""
    return format_html(
        '<a class="term-source" href="{}">{}</a>',
        source_url(source),
        _("Source: %(clause)s") % {"clause": source.label or _("the original text")},
    )


def field_sources(contract) -> dict[str, TermSource]:
    """The sources of the contract's own fields (its total, dates, parties) by field: one query."""
    rows = TermSource.objects.filter(contract=contract, object_id__isnull=True).only(
        "field", "upload_id", "start", "end", "label"
    )
    return {source.field: source for source in rows}


def field_source_link(sources: dict, name: str) -> str:
    return _link((sources or {}).get(name))
