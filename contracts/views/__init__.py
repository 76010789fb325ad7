"""The contracts app's portal pages, one module per concern."""
