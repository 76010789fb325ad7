"""The reports API, one module per resource; each registers its viewsets on om_portal.api.router."""

from reports.api import acceptance, reports, requirements, versions  # noqa: F401
