"""A photo from the tablet, judged by decoding it: its type is what Pillow reads, never its name
or the browser's word, within a size and a pixel limit (``inspections.rounds`` takes them)."""

import os
import threading
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, UnidentifiedImageError

DEFAULT_PHOTO_MAX_BYTES = 10 * 1024 * 1024
# A tablet camera takes 8–13 MP; a small PNG can declare a huge canvas and decode to gigabytes,
# so the pixel count is bounded before anything is decoded.
PHOTO_MAX_PIXELS = 40_000_000
PHOTO_FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    # Many phone and tablet cameras write multi-picture JPEGs, which Pillow names MPO.
    "MPO": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "WEBP": ("webp", "image/webp"),
}


# WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES on import (weasyprint/images.py),
# after which a truncated photo decodes with its missing rows filled in, and passes. Photos are
# judged with it off, whatever else the process has imported.
_STRICT = threading.Lock()


@contextmanager
def _strict_decoding():
    with _STRICT:
        before = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = before


def photo_max_bytes() -> int:
    return getattr(settings, "INSPECTION_PHOTO_MAX_BYTES", DEFAULT_PHOTO_MAX_BYTES)


def _size_text(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _display_name(uploaded) -> str:
    return os.path.basename(str(getattr(uploaded, "name", "") or ""))[:200]


def validate_photo(uploaded) -> tuple[str, str, int, int]:
    """(extension, content type, width, height) of a JPEG, PNG or WebP photo.

    The type is what Pillow decodes, whatever the file is called or the browser said: a text
    file named .jpg is refused. The file is left at its start for saving.
    """
    name = _display_name(uploaded) or _("The photo")
    limit = photo_max_bytes()
    size = uploaded.size
    if size is None or size > limit:
        raise ValidationError(
            _("“%(name)s” is %(size)s; a photo may be at most %(max)s.")
            % {"name": name, "size": _size_text(size or 0), "max": _size_text(limit)},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    not_an_image = ValidationError(
        _("“%(name)s” is not a JPEG, PNG or WebP image.") % {"name": name}, code="not_an_image"
    )
    try:
        uploaded.seek(0)
        with Image.open(uploaded) as image:
            kind = image.format
            width, height = image.size
            if kind not in PHOTO_FORMATS:
                raise not_an_image
            if width * height > PHOTO_MAX_PIXELS:
                raise ValidationError(
                    _("“%(name)s” is %(width)s × %(height)s pixels; at most %(max)s million are taken.")
                    % {"name": name, "width": width, "height": height, "max": PHOTO_MAX_PIXELS // 10**6},
                    code="too_many_pixels",
                )
            if kind in ("JPEG", "MPO"):
                # Decoding at an eighth of the size proves the data as well, in 1/64 the memory.
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
            # A truncated or corrupt file fails here: Pillow raises on data it cannot decode.
            with _strict_decoding():
                image.load()
    except ValidationError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError, ValueError):
        raise not_an_image from None
    finally:
        uploaded.seek(0)
    extension, content_type = PHOTO_FORMATS[kind]
    return extension, content_type, width, height
