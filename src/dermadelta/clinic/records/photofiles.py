"""Checking an uploaded photo and making the copy that browsers get.

The upload is decoded by the measurement engine's own decoder (type sniffed from
the content, pixel limit checked before decoding), so a file the worker cannot
read is refused at the door. The served copy is re-encoded from the decoded
pixels: it carries no EXIF at all (no GPS position, no camera or lens serial
numbers), and its orientation is already applied.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from dermadelta.errors import InputError
from dermadelta.imaging.decode import Decoded, decode

#: Longest side of the served copy: sharp on a large screen, light on a phone.
DISPLAY_MAX_SIDE_PX = 2048
DISPLAY_JPEG_QUALITY = 90


@dataclass(frozen=True)
class CheckedPhoto:
    data: bytes
    decoded: Decoded
    sha256: str


def check_photo(data: bytes, *, label: str, max_bytes: int, max_pixels: int) -> CheckedPhoto:
    """Decode ``data`` or raise :class:`InputError` with a reason a practitioner can act on."""
    if len(data) > max_bytes:
        raise InputError(f"{label}: {len(data) / 1e6:.1f} MB is larger than the {max_bytes / 1e6:.0f} MB limit")
    decoded = decode(data, max_pixels=max_pixels, name=label)
    return CheckedPhoto(data=data, decoded=decoded, sha256=hashlib.sha256(data).hexdigest())


def display_copy(decoded: Decoded, *, max_side_px: int = DISPLAY_MAX_SIDE_PX) -> bytes:
    """An sRGB JPEG of the photo, upright, at most ``max_side_px`` on its longest side, with no metadata."""
    from PIL import Image

    pixels = np.round(np.clip(decoded.rgb, 0, 1) * 255).astype(np.uint8)
    image = Image.fromarray(pixels)
    image.thumbnail((max_side_px, max_side_px), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=DISPLAY_JPEG_QUALITY, optimize=True)  # no exif= : none written
    return buffer.getvalue()


def taken_at(decoded: Decoded, *, zone: ZoneInfo) -> dt.datetime | None:
    """When the camera says the photo was taken (EXIF local time, read in the clinic's zone), if it says so."""
    raw = decoded.metadata.get("datetime")
    if not isinstance(raw, str):
        return None
    try:
        naive = dt.datetime.strptime(raw.strip(), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None  # cameras write all sorts; an unreadable date is no date
    return naive.replace(tzinfo=zone)


#: What a shared analysis keeps of a photo's ``image`` block: how it was read, nothing about the camera.
SHARED_IMAGE_FIELDS = frozenset(
    {"format", "width", "height", "bit_depth", "exif_orientation", "icc_converted_to_srgb", "icc_note"}
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


__all__ = ["CheckedPhoto", "InputError", "check_photo", "display_copy", "taken_at", "without_camera"]
