"""The inspections app's portal pages, one module per concern; each module has its urlpatterns."""
