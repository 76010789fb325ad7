"""The inspections app's API, one module per concern; each registers its viewsets on the router."""
