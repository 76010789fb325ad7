"""The contracts app's admin, one module per concern (Django imports this package)."""

from contracts.admin import assets, calendar, contract, money, penalties  # noqa: F401
