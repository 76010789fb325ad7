"""The inspections app's API, one module per concern; each registers its viewsets on the router."""

from inspections.api import checklists, checks, networks, runs, schedules  # noqa: F401
