"""Exceptions for photos the engine cannot use.

Every error here is a *permanent* failure: the input itself is bad, so a job
that hits one must not be retried. Messages are written for a shop admin who
will see them next to the product ("the image is truncated or corrupt"), not
for a developer; the technical cause stays on ``__cause__``.
"""

from __future__ import annotations

__all__ = [
    "ImageInputError",
    "ImageTooLargeError",
    "NotAnImageError",
    "TruncatedImageError",
    "format_megapixels",
]


class ImageInputError(ValueError):
    """A photo the engine cannot use. Permanent: retrying will not help."""

    default_message = "the image cannot be used"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self)


class NotAnImageError(ImageInputError):
    """The bytes are not an image in any format Pillow can read (text, random bytes, an empty file)."""

    default_message = "not an image file"


class TruncatedImageError(ImageInputError):
    """The file starts like an image but its data is cut short or corrupt."""

    default_message = "the image is truncated or corrupt"


class ImageTooLargeError(ImageInputError):
    """More pixels than the configured cap: refused before decoding (decompression-bomb guard)."""

    default_message = "the image is too large"

    def __init__(self, pixels: int | None = None, limit: int | None = None, message: str | None = None) -> None:
        self.pixels = pixels
        self.limit = limit
        if message is None and pixels is not None and limit is not None:
            message = f"the image has {format_megapixels(pixels)} megapixels; the limit is {format_megapixels(limit)}"
        super().__init__(message)


def format_megapixels(pixels: int) -> str:
    """250_000_000 -> "250", 89_478_485 -> "89", 1_500_000 -> "1.5" (readable, not exact)."""
    mp = pixels / 1_000_000
    if mp >= 10:
        return str(int(mp))
    return f"{mp:.2g}"
