from django.conf import settings


def portal(request):
    """What the base layout needs on every page."""
    return {"LANGUAGES": settings.LANGUAGES, "DEBUG": settings.DEBUG}
