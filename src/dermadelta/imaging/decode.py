"""Decode a photo into linear-light-ready sRGB float32 with orientation and colour profile applied.

Pillow sniffs the type from the content (never the file name), reads EXIF and ICC,
and decodes 8-bit data; OpenCV decodes 16-bit PNG and TIFF, which Pillow cannot
hold as RGB. HEIC/HEIF come through the ``pillow-heif`` plugin.
"""

from __future__ import annotations

import io
import logging
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageCms, ImageFile, UnidentifiedImageError

from dermadelta.errors import InputError

#: Largest photo accepted, in pixels: a 48 MP phone sensor with margin. Larger
#: claims are refused before any pixel is decoded (decompression bombs).
MAX_PIXELS = 60_000_000
#: Memory a decode may take per declared pixel at its peak: the decoder's own image (up to
#: 8 B for 16-bit RGBA), the integer RGB copy, and room for the whole photo in float32 (12 B),
#: which a caller may ask for.
DECODE_BYTES_PER_PIXEL = 24
#: Memory a decode may take whatever the photo's size: buffers, tables, a colour transform.
DECODE_FIXED_BYTES = 64 * 2**20
#: Smallest side that can still hold a measurable face.
MIN_SIDE_PX = 200
SUPPORTED_FORMATS = frozenset({"JPEG", "PNG", "TIFF", "HEIF", "WEBP", "MPO"})

_GRAYSCALE_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N", "F", "P;L"})

_heif_registered = False

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decoded:
    """A decoded photo, upright and sRGB-encoded, rows x cols x 3.

    ``pixels`` are kept as decoded (uint8 or uint16; float32 in [0, 1] where a caller
    made them): a 12 MP photo in float32 is 144 MB and a fifth of a second to
    convert, and every stage reads only a crop or a sample of it, which it converts
    with :func:`unit_float`. ``rgb`` is the whole photo in float32, made on first use.
    """

    pixels: NDArray[Any]
    source: str
    format: str
    bit_depth: int
    orientation: int
    icc_converted: bool
    metadata: dict[str, Any] = field(default_factory=dict)
    #: Decoded pixels per pixel of the file: 1, or 1/2, 1/4, 1/8 where a JPEG was decoded
    #: reduced (see :func:`decode`'s ``min_side_px``).
    scale: float = 1.0
    #: The file's own upright size (width, height); None when the pixels are the file's size.
    full_size: tuple[int, int] | None = None

    @cached_property
    def rgb(self) -> NDArray[np.float32]:
        """The whole photo as float32 in [0, 1]."""
        return unit_float(self.pixels)

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def file_size(self) -> tuple[int, int]:
        """The photo's upright size in the file, (width, height), whatever size it was decoded at."""
        return self.full_size or (self.width, self.height)

    @property
    def to_file(self) -> NDArray[np.float64]:
        """The 2 x 3 affine map from decoded pixel coordinates to the file's.

        A reduced JPEG's pixel (x, y) is the block of 1 / scale pixels of the file
        whose centre is (x + 0.5) / scale - 0.5.
        """
        factor = 1.0 / self.scale
        offset = 0.5 * factor - 0.5
        return np.array([[factor, 0.0, offset], [0.0, factor, offset]])


def decode_memory_budget(max_pixels: int = MAX_PIXELS) -> int:
    """The most memory, in bytes, that decoding a photo of at most ``max_pixels`` pixels may take.

    The pixel limit is checked on the size a file declares before any pixel is
    decoded, so this bounds every decode; ``python -m tools.decode_fuzz`` checks it.
    """
    return DECODE_FIXED_BYTES + DECODE_BYTES_PER_PIXEL * max_pixels


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _heif_registered = True


def _read_bytes(source: str | Path | bytes) -> tuple[bytes, str]:
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), "<bytes>"
    path = Path(source)
    try:
        return path.read_bytes(), str(path)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a photo") from None
    except OSError as error:
        raise InputError(f"{path}: cannot be read ({error.strerror or error})") from None


def apply_orientation(pixels: NDArray[Any], orientation: int) -> NDArray[Any]:
    """Apply an EXIF orientation tag (1-8) so that rows run top to bottom as the scene was seen."""
    operations = {
        1: lambda a: a,
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1, :],
        5: lambda a: np.swapaxes(a, 0, 1),
        6: lambda a: np.swapaxes(a, 0, 1)[:, ::-1],
        7: lambda a: np.swapaxes(a, 0, 1)[::-1, ::-1],
        8: lambda a: np.swapaxes(a, 0, 1)[::-1, :],
    }
    return np.ascontiguousarray(operations.get(orientation, operations[1])(pixels))


def _exif_summary(image: Image.Image) -> tuple[int, dict[str, Any]]:
    exif = image.getexif()
    orientation = int(exif.get(0x0112, 1) or 1)
    if orientation not in range(1, 9):
        orientation = 1
    summary: dict[str, Any] = {}
    for tag, name in ((0x010F, "camera_make"), (0x0110, "camera_model"), (0x0132, "datetime")):
        value = exif.get(tag)
        if isinstance(value, str) and value.strip():
            summary[name] = value.strip().strip("\x00")[:64]
    return orientation, summary


def _decode_16bit(data: bytes, name: str) -> NDArray[np.uint16]:
    import cv2

    buffer = np.frombuffer(data, dtype=np.uint8)
    pixels = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED | cv2.IMREAD_ANYDEPTH)
    if pixels is None or pixels.ndim != 3 or pixels.shape[2] < 3 or pixels.dtype not in (np.uint8, np.uint16):
        raise InputError(f"{name}: 16-bit image could not be decoded as colour")
    rgb: NDArray[Any] = pixels[:, :, 2::-1] if pixels.shape[2] == 3 else pixels[:, :, [2, 1, 0]]
    return rgb


def _to_srgb(image: Image.Image) -> tuple[Image.Image, bool]:
    """Convert an 8-bit image with an embedded ICC profile to sRGB; returns (image, converted)."""
    icc = image.info.get("icc_profile")
    mode = "RGB"
    if image.mode not in {"RGB", "RGBA", "CMYK"}:
        image = image.convert("RGB")
    if not icc:
        return image.convert(mode), False
    try:
        source_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = ImageCms.getProfileDescription(source_profile).strip().lower()
        if "srgb" in description and image.mode == "RGB":
            return image, False
        srgb = ImageCms.createProfile("sRGB")
        converted = ImageCms.profileToProfile(
            image, source_profile, srgb, outputMode=mode, renderingIntent=ImageCms.Intent.PERCEPTUAL
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        # A broken profile is not worth refusing the photo: decode as sRGB and say so.
        return image.convert(mode), False
    assert converted is not None
    return converted, True


def decode(
    source: str | Path | bytes, *, max_pixels: int = MAX_PIXELS, name: str | None = None, min_side_px: int | None = None
) -> Decoded:
    """Decode a photo file or its bytes.

    With ``min_side_px``, a JPEG is decoded reduced by the largest factor (2, 4 or 8)
    that keeps its shorter side at least that long: libjpeg scales in the DCT domain,
    so a half-size decode costs about half a full one and the float work after it a
    quarter. Other formats are decoded at full size (``Decoded.scale`` says which).

    Raises :class:`~dermadelta.errors.InputError` with a one-line reason for
    anything that is not a usable colour photo: not an image, an unsupported
    format, a truncated file, more than ``max_pixels`` pixels, grayscale, or a
    side shorter than :data:`MIN_SIDE_PX`. ``name`` labels the photo in messages
    and results (for bytes, which have no path).
    """
    _register_heif()
    data, label = _read_bytes(source)
    name = name or label
    if not data:
        raise InputError(f"{name}: empty file")
    with _strict_pillow():
        return _decode(data, name, max_pixels, min_side_px)


@contextmanager
def _strict_pillow() -> Iterator[None]:
    """Refuse truncated files while decoding, whatever another library set.

    WeasyPrint switches Pillow's process-wide ``LOAD_TRUNCATED_IMAGES`` on when it is
    imported; a photo padded with grey would then be measured as if it were whole.
    """
    previous = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _decode(data: bytes, name: str, max_pixels: int, min_side_px: int | None) -> Decoded:
    """The decoding boundary: whatever a decoder raises on a hostile file leaves as :class:`InputError`."""
    try:
        return _decode_checked(data, name, max_pixels, min_side_px)
    except InputError:
        raise
    except MemoryError:
        raise InputError(f"{name}: too large to decode in the memory available") from None
    except Exception as error:  # noqa: BLE001
        # Pillow's plugins, OpenCV and libheif answer a malformed file with whatever their parsers
        # hit (OSError, TypeError on a tag of the wrong type, IndexError, cv2.error...): the set is
        # open-ended, and every one of them means the file cannot be read.
        logger.info("%s: decoder refused the file: %s: %s", name, type(error).__name__, error)
        raise InputError(f"{name}: damaged file, or not a photo that can be read") from None


def open_header(fp: Any, name: str, max_pixels: int) -> Image.Image:
    """Pillow's lazy open of ``fp``: its header only, no pixel decoded.

    Refuses, with :class:`InputError` naming ``name``, what no photo may be: not an
    image, an unsupported format, no pixels or more than ``max_pixels``, a palette
    image without its palette. The upload check at the door and :func:`decode` both
    start here, so a file is refused in the same words by either. Closing the
    image closes ``fp``.
    """
    _register_heif()
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(fp)
        except UnidentifiedImageError:
            raise InputError(f"{name}: not an image (or an unsupported format)") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise InputError(f"{name}: image claims too many pixels (limit {max_pixels})") from None
        except (OSError, ValueError, SyntaxError, struct.error) as error:
            raise InputError(f"{name}: unreadable image ({error})") from None
    fmt = (image.format or "").upper()
    width, height = image.size
    refusal = ""
    if fmt not in SUPPORTED_FORMATS:
        refusal = f"{name}: {fmt or 'unknown'} images are not supported"
    elif width < 1 or height < 1:
        refusal = f"{name}: the file declares an image of {width}x{height} pixels"
    elif width * height > max_pixels:
        refusal = f"{name}: {width}x{height} is more than the {max_pixels} pixel limit"
    elif image.mode == "P" and image.palette is None:
        refusal = f"{name}: a palette image without its colour palette"
    if refusal:
        # Not closed here: Pillow would close ``fp`` with it, and an upload is read again after a refusal.
        raise InputError(refusal)
    return image


def _decode_checked(data: bytes, name: str, max_pixels: int, min_side_px: int | None) -> Decoded:
    with open_header(io.BytesIO(data), name, max_pixels) as image:
        fmt = (image.format or "").upper()
        file_width, file_height = image.size
        reduction = _reduction(fmt, image.size, min_side_px)
        try:  # reading EXIF or a palette may already read (and miss) the pixel data
            if image.mode in _GRAYSCALE_MODES or (image.mode == "P" and _palette_is_gray(image)):
                raise InputError(f"{name}: grayscale photo; colour is needed to measure skin")
            orientation, summary = _exif_summary(image)
            pixels, bit_depth, icc_converted = _pixels(image, data, fmt, name, reduction)
            if reduction > 1:  # what the decoder did: Pillow's draft may reduce less than asked
                reduction = max(1, round(file_width / pixels.shape[1]))
            if bit_depth == 16 and image.info.get("icc_profile"):
                summary["icc_note"] = "16-bit embedded profile not applied; read as sRGB"
        except (OSError, ValueError, SyntaxError, struct.error) as error:
            if isinstance(error, InputError):
                raise
            raise InputError(f"{name}: truncated or corrupt image data ({error})") from None
    # Orientation on the integer pixels; the stages convert only what they read to float.
    pixels = apply_orientation(pixels, orientation)
    full_size = (file_height, file_width) if orientation in (5, 6, 7, 8) else (file_width, file_height)
    if reduction == 1:
        full_size = (pixels.shape[1], pixels.shape[0])
    if min(full_size) < MIN_SIDE_PX:
        raise InputError(
            f"{name}: {full_size[0]}x{full_size[1]} is too small to measure skin "
            f"(shorter side must be at least {MIN_SIDE_PX} px)"
        )
    return Decoded(
        pixels=pixels,
        source=name,
        format=fmt,
        bit_depth=bit_depth,
        orientation=orientation,
        icc_converted=icc_converted,
        metadata=summary,
        scale=1.0 / reduction,
        full_size=None if reduction == 1 else full_size,
    )


def _reduction(fmt: str, size: tuple[int, int], min_side_px: int | None) -> int:
    """The factor (1, 2, 4 or 8) a photo is decoded reduced by: JPEG only, its shorter side kept."""
    if min_side_px is None or fmt not in {"JPEG", "MPO"}:
        return 1
    return max([1] + [factor for factor in (2, 4, 8) if min(size) // factor >= min_side_px])


def _pixels(image: Image.Image, data: bytes, fmt: str, name: str, reduction: int = 1) -> tuple[NDArray[Any], int, bool]:
    """The RGB pixels as decoded (uint8 or uint16), the bit depth, and whether a profile was converted.

    ``reduction`` (JPEG only) decodes at 1 / ``reduction`` of the size, in the DCT domain.
    """
    if fmt in {"PNG", "TIFF"} and _is_16bit(image, data):
        return _decode_16bit(data, name), 16, False
    if _is_plain_complete_jpeg(image, data):
        return _decode_jpeg_fast(data, name, reduction), 8, False
    if reduction > 1:
        width, height = image.size
        image.draft(image.mode, (width // reduction, height // reduction))
    image.load()
    converted, icc_converted = _to_srgb(image)
    with converted:
        return np.asarray(converted), 8, icc_converted


def unit_float(pixels: NDArray[Any]) -> NDArray[np.float32]:
    """uint8 or uint16 pixels as float32 in [0, 1], with one allocation; float pixels as they are."""
    if pixels.dtype.kind == "f":
        return np.asarray(pixels, dtype=np.float32)
    rgb = pixels.astype(np.float32)
    if pixels.dtype == np.uint16:
        rgb /= np.float32(65535)
    else:
        rgb *= np.float32(1 / 255)
    return rgb


def _is_plain_complete_jpeg(image: Image.Image, data: bytes) -> bool:
    """An RGB JPEG without a colour profile that ends with its end-of-image marker.

    Such a file (the usual phone photo) is decoded by OpenCV, about twice as fast
    as through Pillow; OpenCV fills a truncated JPEG with grey instead of failing,
    hence the marker check, and anything else takes Pillow's careful path.
    """
    return (
        image.format == "JPEG"
        and image.mode == "RGB"
        and not image.info.get("icc_profile")
        and data.rstrip(b"\0").endswith(b"\xff\xd9")
    )


def _decode_jpeg_fast(data: bytes, name: str, reduction: int = 1) -> NDArray[np.uint8]:
    import cv2

    reduced = {
        1: 0,
        2: cv2.IMREAD_REDUCED_COLOR_2,
        4: cv2.IMREAD_REDUCED_COLOR_4,
        8: cv2.IMREAD_REDUCED_COLOR_8,
    }[reduction] & ~cv2.IMREAD_COLOR_BGR
    # RGB straight from the decoder (no conversion pass); orientation is applied once, below.
    flags = reduced | cv2.IMREAD_COLOR_RGB | cv2.IMREAD_IGNORE_ORIENTATION
    rgb = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), flags)
    if rgb is None or rgb.ndim != 3:
        raise InputError(f"{name}: corrupt JPEG data")
    return np.asarray(rgb, dtype=np.uint8)


def _is_16bit(image: Image.Image, data: bytes) -> bool:
    """True for 16-bit-per-channel PNG (IHDR bit depth) and TIFF (BitsPerSample tag)."""
    if image.format == "PNG":
        return len(data) > 24 and data[24] == 16
    bits = image.tag_v2.get(258) if hasattr(image, "tag_v2") else None
    values = bits if isinstance(bits, tuple) else (bits,)
    return any(v is not None and int(v) > 8 for v in values)


def _palette_is_gray(image: Image.Image) -> bool:
    palette = image.getpalette() or []
    triples = np.asarray(palette[: len(palette) - len(palette) % 3]).reshape(-1, 3)
    return bool(len(triples)) and bool(np.all(triples == triples[:, :1]))
