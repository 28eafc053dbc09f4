"""Fuzzing the decoder: of malformed, truncated and hostile photos, nothing but InputError leaves it."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from PIL import Image, UnidentifiedImageError

import dermadelta
from dermadelta.cli import main
from dermadelta.errors import InputError
from dermadelta.imaging.decode import decode
from tools import decode_fuzz

#: A lower pixel limit than the clinic's keeps each decode of an inflated header quick;
#: the fuzzer's "just inside the limit" size (2000 x 1900) is still decoded at it.
TEST_MAX_PIXELS = 4_000_000
REGRESSIONS = decode_fuzz.regression_inputs()


@pytest.mark.parametrize("name", sorted(decode_fuzz.seeds()))
def test_every_seed_is_a_photo_the_decoder_reads(name):
    decoded = decode(decode_fuzz.seeds()[name], max_pixels=TEST_MAX_PIXELS)
    assert min(decoded.height, decoded.width) >= 200


def test_the_same_seed_gives_the_same_inputs():
    first = [item.data for item in decode_fuzz.inputs(50, seed=3)]
    assert first == [item.data for item in decode_fuzz.inputs(50, seed=3)]
    assert first != [item.data for item in decode_fuzz.inputs(50, seed=4)]


@pytest.mark.filterwarnings("ignore")  # Pillow warns about each broken tag it skips
def test_nothing_but_input_error_escapes_the_decoder():
    outcomes: Counter[str] = Counter()
    mutations: Counter[str] = Counter()
    escapes = []
    for item in decode_fuzz.inputs(1500, seed=0):
        verdict, detail = decode_fuzz.outcome(item.data, max_pixels=TEST_MAX_PIXELS)
        outcomes[verdict] += 1
        mutations[item.mutation] += 1
        if verdict == "escaped":
            escapes.append((item.seed, item.mutation, detail))
    assert escapes == []
    # The fuzzer is not vacuous: every mutation ran, and both refusals and decodes happened.
    assert set(mutations) == set(decode_fuzz.MUTATIONS)
    assert outcomes["refused"] > 300 and outcomes["decoded"] > 100


@pytest.mark.parametrize(("width", "height"), [(65535, 65535), (7700, 7700), (0, 200)])
@pytest.mark.parametrize("name", ["png", "tiff", "jpeg", "webp-lossless", "heic"])
def test_the_dimension_mutation_changes_what_the_file_declares(monkeypatch, name, width, height):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # read the header of a "bomb" instead of refusing it
    changed = decode_fuzz._set_dimensions(decode_fuzz.seeds()[name], width, height)
    assert changed is not None
    if width == 0 and name != "webp-lossless":  # WebP stores width - 1: a zero becomes its largest width
        with pytest.raises(UnidentifiedImageError):  # no reader takes a zero-width header
            Image.open(io.BytesIO(changed))
        return
    declared = Image.open(io.BytesIO(changed)).size
    assert declared != decode_fuzz.SEED_SIZE


def test_a_palette_png_without_its_palette_is_refused_in_plain_words():
    with pytest.raises(InputError, match="palette image without its colour palette"):
        decode(REGRESSIONS["png-palette-without-plte"], name="scan.png")


def test_a_tiff_with_rational_strip_offsets_is_refused_in_plain_words():
    with pytest.raises(InputError, match=r"^scan\.tif: damaged file, or not a photo that can be read$"):
        decode(REGRESSIONS["tiff-rational-strip-offsets"], name="scan.tif")


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_the_library_refuses_the_regression_files_with_input_error(name, tmp_path):
    path = tmp_path / "photo.bin"
    path.write_bytes(REGRESSIONS[name])
    with pytest.raises(InputError):
        dermadelta.analyze(path)


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
def test_the_command_refuses_the_regression_files_in_one_line(name, tmp_path, capsys):
    path = tmp_path / "photo.png"
    path.write_bytes(REGRESSIONS[name])
    assert main(["analyze", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "photo.png" in err and "Traceback" not in err


def test_the_benchmark_counts_outcomes_in_a_child_process(tmp_path):
    figures = decode_fuzz.run(count=40, seed=1, max_pixels=TEST_MAX_PIXELS, timeout_s=60, save=tmp_path)
    assert figures["inputs"] == 40
    assert figures["decoded"] + figures["refused"] + figures["escapes"] + figures["crashes"] + figures["hangs"] == 40
    assert figures["escapes"] == figures["crashes"] == figures["hangs"] == 0
    assert 0 < figures["peak_rss_mb"] and figures["within_budget"]
    assert list(tmp_path.iterdir()) == []  # nothing to keep when nothing escaped
