"""The contracts app's API, one module per concern; each registers its viewsets on the router."""

from contracts.api import assets, calendar, contracts, intake, money, penalties  # noqa: F401
