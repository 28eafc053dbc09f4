"""Checking an uploaded photo at the door and making the copy that browsers get.

The request only reads each file's header (Pillow's lazy open: format and declared
size, no pixel decoded), so a file that is not a photo, or that declares more pixels
than allowed, is refused before anything is decoded or stored; the worker then
decodes the photo with the measurement engine's own decoder. The served copy is
re-encoded from the decoded pixels: it carries no EXIF at all (no GPS position, no
camera or lens serial numbers), and its orientation is already applied.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from django.core.files import File
from PIL import Image

from dermadelta.errors import InputError
from dermadelta.imaging.decode import MIN_SIDE_PX, Decoded, open_header

#: Longest side of the served copy: sharp on a large screen, light on a phone.
DISPLAY_MAX_SIDE_PX = 2048
DISPLAY_JPEG_QUALITY = 90


@dataclass(frozen=True)
class InspectedPhoto:
    """What a photo's header says, and the digest of its bytes: enough to store it and queue its decoding."""

    width: int
    height: int
    sha256: str
    camera_time: str | None  # EXIF DateTime as the camera wrote it, if it did


def inspect_photo(upload: File, *, label: str, max_bytes: int, max_pixels: int) -> InspectedPhoto:
    """Read ``upload``'s header (no pixel decoded) or raise :class:`InputError` with a reason a person can act on.

    The same refusals, in the same words, as the decoder's own checks before it
    decodes: empty, too large, not an image, an unsupported format, more pixels than
    ``max_pixels``, a palette image without its palette, too small to measure. The
    file is read in chunks (for the digest) and left at its start.
    """
    size = upload.size or 0
    if size > max_bytes:
        raise InputError(f"{label}: {size / 1e6:.1f} MB is larger than the {max_bytes / 1e6:.0f} MB limit")
    if size == 0:
        raise InputError(f"{label}: empty file")
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    try:
        image = open_header(upload, label, max_pixels)  # leaves ``upload`` open
        fmt = (image.format or "").upper()
        width, height = image.size
        if min(width, height) < MIN_SIDE_PX:  # turning it upright changes no side's length
            raise InputError(
                f"{label}: {width}x{height} is too small to measure skin "
                f"(shorter side must be at least {MIN_SIDE_PX} px)"
            )
        camera_time = _camera_time(image, fmt)
    finally:
        upload.seek(0)
    return InspectedPhoto(width=width, height=height, sha256=digest.hexdigest(), camera_time=camera_time)


def _camera_time(image: Image.Image, fmt: str) -> str | None:
    """The EXIF DateTime from the header alone (a PNG's ``getexif`` would decode its pixels: its chunk only)."""
    try:
        if fmt == "PNG":
            exif = Image.Exif()
            raw = image.info.get("exif")
            if isinstance(raw, bytes):
                exif.load(raw)
        else:
            exif = image.getexif()
        value = exif.get(0x0132)
    except Exception:  # noqa: BLE001 - a damaged EXIF block is no date; the decoder judges the file itself
        return None
    return value.strip().strip("\x00")[:64] if isinstance(value, str) and value.strip() else None


def display_copy(decoded: Decoded, *, max_side_px: int = DISPLAY_MAX_SIDE_PX) -> bytes:
    """An sRGB JPEG of the photo, upright, at most ``max_side_px`` on its longest side, with no metadata."""
    pixels = decoded.pixels
    if pixels.dtype != np.uint8:
        pixels = np.round(np.clip(decoded.rgb, 0, 1) * 255).astype(np.uint8)
    image = Image.fromarray(pixels)
    image.thumbnail((max_side_px, max_side_px), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=DISPLAY_JPEG_QUALITY, optimize=True)  # no exif= : none written
    return buffer.getvalue()


def taken_at(camera_time: str | None, *, zone: ZoneInfo) -> dt.datetime | None:
    """When the camera says the photo was taken (EXIF local time, read in the clinic's zone), if it says so."""
    if camera_time is None:
        return None
    try:
        naive = dt.datetime.strptime(camera_time.strip(), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None  # cameras write all sorts; an unreadable date is no date
    return naive.replace(tzinfo=zone)


#: What a shared analysis keeps of a photo's ``image`` block: how it was read, nothing about the camera.
SHARED_IMAGE_FIELDS = frozenset(
    {"format", "width", "height", "decoded_scale", "bit_depth", "exif_orientation", "icc_converted_to_srgb", "icc_note"}
)


def without_camera(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """An analysis or comparison result as shared outside the clinic: no camera make, model, serial or clock.

    The measurement engine's result reports what the file said (``image.camera_make``...);
    each ``image`` block (of the photo, or of a comparison's before and after) keeps
    only :data:`SHARED_IMAGE_FIELDS`, whatever else a future version records.
    """
    if not isinstance(result, dict):
        return result
    shared = dict(result)
    for key in ("before", "after"):
        if isinstance(shared.get(key), dict):
            shared[key] = without_camera(shared[key])
    image = shared.get("image")
    if isinstance(image, dict):
        shared["image"] = {name: value for name, value in image.items() if name in SHARED_IMAGE_FIELDS}
    return shared


__all__ = ["InputError", "InspectedPhoto", "display_copy", "inspect_photo", "taken_at", "without_camera"]
