"""Decoding: every supported format, orientation, colour profiles, and every way a file can be bad."""

from __future__ import annotations

import io

import colour
import numpy as np
import pytest
from PIL import Image

from dermadelta.errors import InputError
from dermadelta.imaging.decode import MAX_PIXELS, apply_orientation, decode
from tests.imaging.icc import adobe_rgb_profile


def _pattern(height: int = 240, width: int = 320) -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def _encode(array: np.ndarray, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "TIFF", "WEBP"])
def test_it_decodes_lossless_8_bit_formats_exactly(fmt):
    array = _pattern()
    options = {"lossless": True} if fmt == "WEBP" else {}
    decoded = decode(_encode(array, fmt, **options))
    assert decoded.rgb.dtype == np.float32
    assert decoded.bit_depth == 8
    np.testing.assert_array_equal(np.round(decoded.rgb * 255).astype(np.uint8), array)


def _gradient(height: int = 240, width: int = 320) -> np.ndarray:
    rows, cols = np.mgrid[0:height, 0:width]
    return np.dstack([rows * 255 // height, cols * 255 // width, np.full_like(rows, 128)]).astype(np.uint8)


def test_it_decodes_jpeg_close_to_the_original():
    array = _gradient()
    decoded = decode(_encode(array, "JPEG", quality=95))
    assert decoded.format == "JPEG"
    assert np.abs(decoded.rgb * 255 - array).mean() < 1.5


def test_it_decodes_heif():
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    array = np.full((240, 320, 3), (200, 120, 90), dtype=np.uint8)
    decoded = decode(_encode(array, "HEIF", quality=95))
    assert decoded.format == "HEIF"
    assert np.abs(decoded.rgb * 255 - array).max() < 6


@pytest.mark.parametrize("extension", [".png", ".tiff"])
def test_it_keeps_16_bit_precision(extension):
    import cv2

    rng = np.random.default_rng(2)
    array = rng.integers(0, 65536, (240, 320, 3), dtype=np.uint16)
    ok, buffer = cv2.imencode(extension, array[:, :, ::-1])
    assert ok
    decoded = decode(buffer.tobytes())
    assert decoded.bit_depth == 16
    np.testing.assert_allclose(decoded.rgb, array / 65535.0, atol=1e-6)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_it_applies_exif_orientation_like_pillow(orientation):
    from PIL import ImageOps

    array = _pattern(200, 260)
    image = Image.fromarray(array)
    exif = image.getexif()
    exif[0x0112] = orientation
    data = _encode(array, "PNG", exif=exif.tobytes())
    decoded = decode(data)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))))
    assert decoded.orientation == orientation
    np.testing.assert_array_equal(np.round(decoded.rgb * 255).astype(np.uint8), expected)


def test_apply_orientation_ignores_an_out_of_range_tag():
    array = _pattern()
    np.testing.assert_array_equal(apply_orientation(array, 42), array)


def test_it_converts_an_embedded_adobe_rgb_profile_to_srgb_as_colour_science_does():
    array = _pattern()
    decoded = decode(_encode(array, "PNG", icc_profile=adobe_rgb_profile()))
    expected = colour.RGB_to_RGB(
        array / 255.0,
        colour.RGB_COLOURSPACES["Adobe RGB (1998)"],
        colour.RGB_COLOURSPACES["sRGB"],
        chromatic_adaptation_transform="Bradford",
        apply_cctf_decoding=True,
        apply_cctf_encoding=True,
    )
    assert decoded.icc_converted
    assert np.abs(decoded.rgb - np.clip(expected, 0, 1)).max() < 2 / 255


def test_it_reads_a_photo_with_a_broken_profile_as_srgb():
    array = _pattern()
    decoded = decode(_encode(array, "PNG", icc_profile=b"not a profile at all" * 10))
    assert not decoded.icc_converted
    np.testing.assert_array_equal(np.round(decoded.rgb * 255).astype(np.uint8), array)


def test_it_reads_camera_make_from_exif():
    image = Image.fromarray(_pattern())
    exif = image.getexif()
    exif[0x010F] = "Acme"
    decoded = decode(_encode(_pattern(), "JPEG", exif=exif.tobytes()))
    assert decoded.metadata["camera_make"] == "Acme"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"hello, this is not a photo", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "image"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "not an image"),
    ],
)
def test_it_refuses_what_is_not_a_photo(data, message):
    with pytest.raises(InputError, match=message):
        decode(data)


@pytest.mark.parametrize("lenient_elsewhere", [False, True], ids=["pillow-default", "after-weasyprint-import"])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_it_refuses_a_truncated_file(fmt, lenient_elsewhere, monkeypatch):
    from PIL import ImageFile

    # WeasyPrint turns Pillow's process-wide leniency on when imported (as in the clinic's worker).
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", lenient_elsewhere)
    data = _encode(_pattern(), fmt)
    with pytest.raises(InputError, match="truncated|unreadable"):
        decode(data[: len(data) // 2])
    assert ImageFile.LOAD_TRUNCATED_IMAGES is lenient_elsewhere  # left as the caller had it


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims a size and holds no pixels: what a decompression bomb looks like to open()."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


@pytest.mark.parametrize("size", [(100_000, 100_000), (9000, 8000)])
def test_it_refuses_a_decompression_bomb_before_decoding(size):
    with pytest.raises(InputError, match="too many pixels|pixel limit"):
        decode(_png_header_only(*size))


def test_the_pixel_limit_can_be_lowered():
    with pytest.raises(InputError, match="pixel limit"):
        decode(_encode(_pattern(), "PNG"), max_pixels=1000)
    assert MAX_PIXELS >= 48_000_000


@pytest.mark.parametrize("mode", ["L", "LA", "I;16", "1"])
def test_it_refuses_grayscale(mode):
    image = Image.new(mode, (320, 240))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    with pytest.raises(InputError, match="grayscale"):
        decode(buffer.getvalue())


def test_it_refuses_a_photo_too_small_to_hold_skin():
    with pytest.raises(InputError, match="too small"):
        decode(_encode(_pattern(120, 160), "PNG"))


def test_it_refuses_unsupported_formats():
    with pytest.raises(InputError, match="not supported"):
        decode(_encode(_pattern(), "BMP"))


def test_it_names_a_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        decode(tmp_path / "missing.jpg")


def test_it_names_a_directory(tmp_path):
    with pytest.raises(InputError, match="directory"):
        decode(tmp_path)


def test_it_decodes_rgba_by_dropping_alpha():
    array = np.dstack([_pattern(), np.full((240, 320), 128, np.uint8)])
    decoded = decode(_encode(array, "PNG"))
    assert decoded.rgb.shape == (240, 320, 3)


def _smooth(height: int, width: int) -> np.ndarray:
    """A smooth colour ramp (a JPEG keeps it well at any scale), odd sizes included."""
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    return np.stack(
        [40 + 160 * cols / width, 60 + 120 * rows / height, 90 + 60 * (rows + cols) / (height + width)], axis=-1
    ).astype(np.uint8)


@pytest.mark.parametrize("profile", [False, True], ids=["plain", "with-a-colour-profile"])
def test_a_large_jpeg_is_decoded_reduced_when_its_shorter_side_allows_and_says_so(profile):
    array = _smooth(1201, 1603)
    options = {"quality": 95, **({"icc_profile": adobe_rgb_profile()} if profile else {})}
    data = _encode(array, "JPEG", **options)
    full = decode(data)
    for min_side, factor in ((600, 2), (300, 4), (150, 8), (601, 1), (2000, 1)):
        reduced = decode(data, min_side_px=min_side)
        assert reduced.scale == 1 / factor
        assert reduced.file_size == (1603, 1201)
        assert (reduced.height, reduced.width) == (-(-1201 // factor), -(-1603 // factor))
        assert reduced.icc_converted == full.icc_converted == profile
        # Each reduced pixel is the mean of its block of the full decode.
        rows, cols = (1201 // factor) * factor, (1603 // factor) * factor
        blocks = full.rgb[:rows, :cols].reshape(rows // factor, factor, cols // factor, factor, 3).mean(axis=(1, 3))
        assert np.abs(reduced.rgb[: rows // factor, : cols // factor] - blocks).mean() < 1.5 / 255


def test_a_reduced_decode_maps_its_pixels_to_the_files_own():
    array = np.full((1200, 1600, 3), 200, np.uint8)
    array[700:716, 1000:1016] = 20  # a dark square centred on (1007.5, 707.5)
    reduced = decode(_encode(array, "JPEG", quality=95), min_side_px=300)
    assert reduced.scale == 0.25
    dark = reduced.rgb[..., 1] < 0.3
    centre = np.array([np.nonzero(dark)[1].mean(), np.nonzero(dark)[0].mean()])
    mapped = reduced.to_file[:, :2] @ centre + reduced.to_file[:, 2]
    np.testing.assert_allclose(mapped, [1007.5, 707.5], atol=0.5)


def test_a_reduced_decode_keeps_the_exif_orientation_and_reports_the_upright_size():
    image = Image.fromarray(_smooth(1200, 1600))
    exif = image.getexif()
    exif[0x0112] = 6  # stored landscape, shown portrait
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    full, reduced = decode(buffer.getvalue()), decode(buffer.getvalue(), min_side_px=600)
    assert full.file_size == reduced.file_size == (1200, 1600)
    assert (reduced.width, reduced.height) == (600, 800)
    half = full.rgb.reshape(800, 2, 600, 2, 3).mean(axis=(1, 3))
    assert np.abs(reduced.rgb - half).mean() < 1.5 / 255


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_other_formats_are_decoded_at_full_size_whatever_is_asked(fmt):
    decoded = decode(_encode(_smooth(1200, 1600), fmt), min_side_px=300)
    assert decoded.scale == 1.0 and decoded.file_size == (1600, 1200) and decoded.width == 1600


def test_a_truncated_jpeg_is_refused_at_any_reduction():
    data = _encode(_smooth(1200, 1600), "JPEG", quality=90)
    for min_side in (None, 600, 150):
        with pytest.raises(InputError, match="truncated|unreadable|damaged|corrupt"):
            decode(data[: len(data) // 2], min_side_px=min_side)


def test_the_whole_photo_in_float_is_made_on_demand_from_the_pixels_as_decoded():
    array = _pattern()
    decoded = decode(_encode(array, "PNG"))
    assert decoded.pixels.dtype == np.uint8
    np.testing.assert_array_equal(decoded.pixels, array)
    assert decoded.rgb.dtype == np.float32 and decoded.rgb is decoded.rgb  # converted once
    np.testing.assert_allclose(decoded.rgb, array / 255, atol=1e-6)
