"""The incidents app's API, one module per concern; each registers its viewsets on the router."""

from incidents.api import changes, escalation, incidents, knowledge  # noqa: F401
