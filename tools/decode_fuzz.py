"""Fuzzing the photo decoder: seeded mutations of small valid photos, of which nothing but InputError may escape.

The seeds are one small photo in each format the clinic accepts (JPEG, with and
without EXIF orientation and a colour profile; PNG 8 and 16 bit and with a
palette; TIFF 8 and 16 bit; WebP lossy and lossless; HEIC). Each input is one seed
changed by one mutation: bit flips, bytes set to boundary values, truncation, a
splice with another seed, inserted or repeated bytes, a corrupted structure (a PNG
chunk's length, type or field with its checksum made right again, a TIFF tag's
type, count or value, a JPEG segment's length or a dropped segment), or declared
dimensions far beyond, or just inside, the pixel limit. The same seed number gives
the same inputs on any machine.

``make test`` runs a few hundred in-process (``tests/imaging/test_decode_fuzz.py``);
``make bench`` runs ``python -m tools.decode_fuzz --inputs 10000 --json
out/bench/decode-fuzz.json``, which decodes in a child process so that a crash
(the child killed by a signal) or a hang (no answer within ``--timeout`` seconds)
is counted rather than fatal, and compares the child's peak resident memory with
the decoder's budget (:func:`dermadelta.imaging.decode.decode_memory_budget`).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import multiprocessing
import os
import struct
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

#: Seed photos are this size: above the decoder's smallest side, so that a mutation can reach every stage.
SEED_SIZE = (208, 200)
#: Boundary values written over bytes and fields.
_BOUNDARY = (0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF)
#: Chunk types a PNG chunk is renamed to: critical ones, ones with fields to misread, an unknown one.
_PNG_TYPES = tuple(kind.encode() for kind in "IHDR PLTE IDAT IEND tRNS iCCP eXIf sRGB gAMA acTL fdAT zzzz".split())
#: Declared sizes tried by the dimension mutation: beyond any limit, just inside the default one
#: (and inside the tests' lower one), degenerate.
_DIMENSIONS = ((65535, 65535), (100_000, 1), (7700, 7700), (40_000, 1500), (2000, 1900), (0, 200), (1, 1))


@dataclass(frozen=True)
class FuzzInput:
    seed: str
    mutation: str
    data: bytes


# -- seeds -------------------------------------------------------------------------------------------


def _pattern() -> np.ndarray:
    """A smooth colour gradient with mild noise: compresses small, so mutations mostly hit structure."""
    width, height = SEED_SIZE
    rows, cols = np.mgrid[0:height, 0:width]
    rng = np.random.default_rng(7)
    base = np.dstack([120 + rows * 100 // height, 80 + cols * 120 // width, np.full_like(rows, 90)])
    return np.clip(base + rng.integers(-6, 7, base.shape), 0, 255).astype(np.uint8)


def _pillow(array: np.ndarray, fmt: str, **options: Any) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt, **options)
    return buffer.getvalue()


def _sixteen_bit(array: np.ndarray, extension: str) -> bytes:
    import cv2

    ok, encoded = cv2.imencode(extension, (array[:, :, ::-1].astype(np.uint16) * 257))
    if not ok:
        raise RuntimeError(f"OpenCV cannot encode {extension}")
    return encoded.tobytes()


@cache
def seeds() -> dict[str, bytes]:
    """One small valid photo per format and variant the decoder reads, by name."""
    import pillow_heif
    from PIL import Image, ImageCms

    pillow_heif.register_heif_opener()
    array = _pattern()
    exif = Image.new("RGB", (1, 1)).getexif()
    exif[0x0112] = 6
    exif[0x010F] = "Acme"
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB")).tobytes()
    return {
        "jpeg": _pillow(array, "JPEG", quality=85),
        "jpeg-exif-icc": _pillow(array, "JPEG", quality=85, exif=exif.tobytes(), icc_profile=profile),
        "jpeg-progressive": _pillow(array, "JPEG", quality=85, progressive=True),
        "png": _pillow(array, "PNG"),
        "png-palette": _pillow(np.asarray(Image.fromarray(array).quantize(16).convert("RGB")), "PNG", bits=4),
        "png-16": _sixteen_bit(array, ".png"),
        "tiff": _pillow(array, "TIFF"),
        "tiff-lzw": _pillow(array, "TIFF", compression="tiff_lzw"),
        "tiff-16": _sixteen_bit(array, ".tiff"),
        "webp": _pillow(array, "WEBP", quality=80),
        "webp-lossless": _pillow(array, "WEBP", lossless=True),
        "heic": _pillow(array, "HEIF", quality=70),
    }


# -- mutations ---------------------------------------------------------------------------------------


def _bit_flips(data: bytes, rng: np.random.Generator) -> bytes:
    out = bytearray(data)
    for _ in range(int(rng.integers(1, 9))):
        position = int(rng.integers(len(out)))
        out[position] ^= 1 << int(rng.integers(8))
    return bytes(out)


def _boundary_bytes(data: bytes, rng: np.random.Generator) -> bytes:
    out = bytearray(data)
    # Headers live near the start: aim there half the time.
    limit = min(len(out), 512) if rng.random() < 0.5 else len(out)
    for _ in range(int(rng.integers(1, 5))):
        out[int(rng.integers(limit))] = int(rng.choice(_BOUNDARY))
    return bytes(out)


def _truncate(data: bytes, rng: np.random.Generator) -> bytes:
    return data[: int(rng.integers(len(data)))]


def _insert(data: bytes, rng: np.random.Generator) -> bytes:
    position = int(rng.integers(len(data) + 1))
    if rng.random() < 0.5:
        extra = rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes()
    else:  # repeat a stretch of the file itself
        start = int(rng.integers(len(data)))
        extra = data[start : start + int(rng.integers(1, 4096))]
    return data[:position] + extra + data[position:]


def _splice(data: bytes, rng: np.random.Generator) -> bytes:
    other = list(seeds().values())[int(rng.integers(len(seeds())))]
    return data[: int(rng.integers(len(data)))] + other[int(rng.integers(len(other))) :]


def _png_chunks(data: bytes) -> Iterator[tuple[int, bytes, int]]:
    """(offset of the length field, type, body length) of each chunk of a PNG."""
    offset = 8
    while offset + 8 <= len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        yield offset, data[offset + 4 : offset + 8], length
        offset += 12 + length


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_structure(data: bytes, rng: np.random.Generator) -> bytes:
    """Change one chunk and make its checksum right again, so the decoder reads on."""
    chunks = [(data[o + 4 : o + 8], data[o + 8 : o + 8 + n]) for o, _, n in _png_chunks(data)]
    index = int(rng.integers(len(chunks)))
    kind, body = chunks[index]
    action = int(rng.integers(5))
    if action == 0:  # drop it (a palette image without PLTE, a PNG without IHDR or IDAT...)
        del chunks[index]
    elif action == 1:  # a header field: bit depth, colour type, compression, filter, interlace
        changed = bytearray(body)
        if changed:
            changed[int(rng.integers(len(changed)))] = int(rng.choice([*_BOUNDARY, 2, 3, 4, 6, 16]))
        chunks[index] = (kind, bytes(changed))
    elif action == 2:  # another chunk's type: a second header, a palette or profile where none belongs
        chunks[index] = (_PNG_TYPES[int(rng.integers(len(_PNG_TYPES)))], body)
    elif action == 3:  # a declared length that is not the body's
        raw = b"".join(_png_chunk(k, b) for k, b in chunks)
        offsets = [o for o, _, _ in _png_chunks(b"\x89PNG\r\n\x1a\n" + raw)]
        out = bytearray(b"\x89PNG\r\n\x1a\n" + raw)
        length = int(rng.choice([0, 1, 0x7FFFFFFF, 0xFFFFFFFF, len(body) + 1, max(len(body) - 1, 0)]))
        out[offsets[index] : offsets[index] + 4] = struct.pack(">I", length)
        return bytes(out)
    else:  # the chunk twice
        chunks.insert(index, chunks[index])
    return b"\x89PNG\r\n\x1a\n" + b"".join(_png_chunk(k, b) for k, b in chunks)


def _tiff_entries(data: bytes) -> tuple[str, list[int]]:
    """Byte order and the offsets of the first IFD's 12-byte entries."""
    order = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", data[4:8])
    if ifd + 2 > len(data):
        return order, []
    (count,) = struct.unpack(order + "H", data[ifd : ifd + 2])
    return order, [ifd + 2 + 12 * i for i in range(count) if ifd + 14 + 12 * i <= len(data)]


def _tiff_structure(data: bytes, rng: np.random.Generator) -> bytes:
    """Give one tag another type (RATIONAL StripOffsets...), count or value."""
    order, entries = _tiff_entries(data)
    if not entries:
        return _bit_flips(data, rng)
    out = bytearray(data)
    entry = entries[int(rng.integers(len(entries)))]
    action = int(rng.integers(3))
    if action == 0:
        out[entry + 2 : entry + 4] = struct.pack(order + "H", int(rng.integers(0, 19)))
    elif action == 1:
        out[entry + 4 : entry + 8] = struct.pack(order + "I", int(rng.choice([0, 1, 2, 3, 1000, 0x3FFFFFFF])))
    else:
        out[entry + 8 : entry + 12] = struct.pack(order + "I", int(rng.choice([0, 1, 8, len(data), 0xFFFFFFFF])))
    return bytes(out)


def _jpeg_segments(data: bytes) -> list[tuple[int, int]]:
    """(offset of the marker, segment length) of each segment before the scan data of a JPEG."""
    segments, offset = [], 2
    while offset + 4 <= len(data) and data[offset] == 0xFF:
        marker = data[offset + 1]
        (length,) = struct.unpack(">H", data[offset + 2 : offset + 4])
        segments.append((offset, length))
        if marker == 0xDA:  # start of scan: entropy-coded data follows
            break
        offset += 2 + length
    return segments


def _jpeg_structure(data: bytes, rng: np.random.Generator) -> bytes:
    """Change a segment's length, drop a segment, or set a field inside one to a boundary value."""
    segments = _jpeg_segments(data)
    if not segments:
        return _bit_flips(data, rng)
    offset, length = segments[int(rng.integers(len(segments)))]
    out = bytearray(data)
    action = int(rng.integers(3))
    if action == 0:
        out[offset + 2 : offset + 4] = struct.pack(">H", int(rng.choice([0, 1, 2, length + 1, length - 1, 0xFFFF])))
    elif action == 1:
        del out[offset : offset + 2 + length]
    elif length > 2:
        out[offset + 4 + int(rng.integers(length - 2))] = int(rng.choice(_BOUNDARY))
    return bytes(out)


def _set_dimensions(data: bytes, width: int, height: int) -> bytes | None:
    """The file with the width and height its header declares replaced, or None where the format has no such field."""
    out = bytearray(data)
    if data.startswith(b"\x89PNG"):
        body = bytearray(data[16:29])
        body[0:8] = struct.pack(">II", width, height)
        out[8:33] = _png_chunk(b"IHDR", bytes(body))
        return bytes(out)
    if data[:2] in (b"II", b"MM"):
        order, entries = _tiff_entries(data)
        for entry in entries:
            (tag,) = struct.unpack(order + "H", data[entry : entry + 2])
            if tag in (256, 257):
                out[entry + 2 : entry + 12] = struct.pack(order + "HII", 4, 1, width if tag == 256 else height)
        return bytes(out)
    if data.startswith(b"\xff\xd8"):
        for offset, _ in _jpeg_segments(data):
            if data[offset + 1] in (0xC0, 0xC1, 0xC2):
                out[offset + 5 : offset + 9] = struct.pack(">HH", min(height, 0xFFFF), min(width, 0xFFFF))
        return bytes(out)
    if data[8:12] == b"WEBP":
        kind = data[12:16]
        if kind == b"VP8 ":
            out[26:30] = struct.pack("<HH", width & 0x3FFF, height & 0x3FFF)
        elif kind == b"VP8L":
            bits = ((width - 1) & 0x3FFF) | (((height - 1) & 0x3FFF) << 14) | (data[24] & 0xF0) << 24
            out[21:25] = struct.pack("<I", bits & 0xFFFFFFFF)
        return bytes(out)
    position = data.find(b"ispe")
    if position > 0:  # HEIF's image spatial extents box: version and flags, then width and height
        out[position + 8 : position + 16] = struct.pack(">II", width & 0xFFFFFFFF, height & 0xFFFFFFFF)
        return bytes(out)
    return None


def _dimensions(data: bytes, rng: np.random.Generator) -> bytes:
    width, height = _DIMENSIONS[int(rng.integers(len(_DIMENSIONS)))]
    changed = _set_dimensions(data, width, height)
    return changed if changed is not None else _truncate(data, rng)


def _structure(data: bytes, rng: np.random.Generator) -> bytes:
    if data.startswith(b"\x89PNG"):
        return _png_structure(data, rng)
    if data[:2] in (b"II", b"MM"):
        return _tiff_structure(data, rng)
    if data.startswith(b"\xff\xd8"):
        return _jpeg_structure(data, rng)
    return _boundary_bytes(data, rng)


MUTATIONS: dict[str, Callable[[bytes, np.random.Generator], bytes]] = {
    "bit-flips": _bit_flips,
    "boundary-bytes": _boundary_bytes,
    "truncation": _truncate,
    "insertion": _insert,
    "splice": _splice,
    "structure": _structure,
    "dimensions": _dimensions,
}


def inputs(count: int, *, seed: int = 0) -> Iterator[FuzzInput]:
    """``count`` mutated photos, the same ones for the same ``seed``."""
    rng = np.random.default_rng(seed)
    files = seeds()
    names, kinds = sorted(files), list(MUTATIONS)
    for _ in range(count):
        name = names[int(rng.integers(len(names)))]
        kind = kinds[int(rng.integers(len(kinds)))]
        yield FuzzInput(seed=name, mutation=kind, data=MUTATIONS[kind](files[name], rng))


def regression_inputs() -> dict[str, bytes]:
    """Files that escaped the decoder before it had one boundary, kept as regression cases."""
    width, height = SEED_SIZE
    header = struct.pack(">IIBBBBB", width, height, 8, 3, 0, 0, 0)
    rows = b"".join(b"\0" + bytes(range(256))[:width] for _ in range(height))
    no_palette = (  # a palette image with no PLTE chunk and a broken data stream
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows)[:40])
        + _png_chunk(b"IEND", b"")
    )
    tiff = bytearray(seeds()["tiff"])
    order, entries = _tiff_entries(bytes(tiff))
    for entry in entries:
        if struct.unpack(order + "H", tiff[entry : entry + 2])[0] == 273:  # StripOffsets, typed RATIONAL
            tiff[entry + 2 : entry + 4] = struct.pack(order + "H", 5)
    return {"png-palette-without-plte": no_palette, "tiff-rational-strip-offsets": bytes(tiff)}


# -- the benchmark: decoding in a child process ------------------------------------------------------


def outcome(data: bytes, *, max_pixels: int) -> tuple[str, str]:
    """("decoded" | "refused" | "escaped", detail) for one input, decoded in this process."""
    from dermadelta.errors import InputError
    from dermadelta.imaging.decode import decode

    try:
        decode(data, max_pixels=max_pixels, name="fuzzed")
    except InputError as error:
        return "refused", str(error)
    except Exception as error:  # noqa: BLE001 - an escape is what this counts
        return "escaped", f"{type(error).__name__}: {error}"[:300]
    return "decoded", ""


def _peak_rss_bytes() -> int:
    # VmHWM, not getrusage's ru_maxrss: ru_maxrss survives the exec of a spawned child and
    # would start from the parent's size (benchmarks.benchmark reads VmHWM for the same reason).
    from benchmarks.uploadbench import peak_rss_mb

    return int(peak_rss_mb(os.getpid()) * 2**20)


def _child(connection: Connection, max_pixels: int) -> None:
    import warnings

    # Decoders write their complaints about each broken file to stderr: thousands of lines, no news.
    warnings.simplefilter("ignore")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    for data in seeds().values():  # imports and first-use allocations before the baseline
        outcome(data, max_pixels=max_pixels)
    connection.send(_peak_rss_bytes())
    while True:
        data = connection.recv_bytes()
        verdict, detail = outcome(data, max_pixels=max_pixels)
        connection.send((verdict, detail, _peak_rss_bytes()))


class _Decoder:
    """A child process that decodes what it is sent; restarted after a crash or a hang."""

    def __init__(self, max_pixels: int) -> None:
        self.max_pixels = max_pixels
        self.baselines: list[int] = []
        self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.connection, child_end = context.Pipe()
        self.process = context.Process(target=_child, args=(child_end, self.max_pixels), daemon=True)
        self.process.start()
        child_end.close()
        self.baselines.append(self.connection.recv())

    def decode(self, data: bytes, *, timeout_s: float) -> tuple[str, str, int]:
        self.connection.send_bytes(data)
        try:
            if self.connection.poll(timeout_s):
                verdict, detail, peak = self.connection.recv()
                return verdict, detail, peak
            self.process.kill()
            self.process.join()
            verdict, detail = "hang", f"no answer within {timeout_s:.0f} s"
        except EOFError:
            self.process.join()
            verdict, detail = "crash", f"decoder process ended with status {self.process.exitcode}"
        self._start()
        return verdict, detail, 0

    def close(self) -> None:
        self.process.kill()
        self.process.join()


def run(*, count: int, seed: int, max_pixels: int, timeout_s: float, save: Path | None = None) -> dict[str, Any]:
    """Decode ``count`` fuzzed inputs in a child process and count each outcome."""
    from dermadelta.imaging.decode import decode_memory_budget

    decoder = _Decoder(max_pixels)
    counts: Counter[str] = Counter()
    by_mutation: dict[str, Counter[str]] = {kind: Counter() for kind in MUTATIONS}
    problems: list[dict[str, str]] = []
    peak = 0
    started = time.perf_counter()
    try:
        for item in inputs(count, seed=seed):
            verdict, detail, rss = decoder.decode(item.data, timeout_s=timeout_s)
            counts[verdict] += 1
            by_mutation[item.mutation][verdict] += 1
            peak = max(peak, rss)
            if verdict in ("escaped", "crash", "hang"):
                digest = hashlib.sha256(item.data).hexdigest()[:16]
                problems.append(
                    {
                        "seed": item.seed,
                        "mutation": item.mutation,
                        "outcome": verdict,
                        "detail": detail,
                        "sha256": digest,
                    }
                )
                if save is not None:
                    save.mkdir(parents=True, exist_ok=True)
                    (save / f"{item.seed}-{digest}.bin").write_bytes(item.data)
    finally:
        decoder.close()
    baseline = min(decoder.baselines)
    budget = decode_memory_budget(max_pixels)
    growth = max(peak - baseline, 0)
    return {
        "inputs": count,
        "seed": seed,
        "seeds": sorted(seeds()),
        "max_pixels": max_pixels,
        "timeout_s": timeout_s,
        "seconds": round(time.perf_counter() - started, 1),
        "decoded": counts["decoded"],
        "refused": counts["refused"],
        "escapes": counts["escaped"],
        "crashes": counts["crash"],
        "hangs": counts["hang"],
        "by_mutation": {kind: dict(c) for kind, c in by_mutation.items()},
        "baseline_rss_mb": round(baseline / 2**20, 1),
        "peak_rss_mb": round(peak / 2**20, 1),
        "peak_growth_mb": round(growth / 2**20, 1),
        "memory_budget_mb": round(budget / 2**20, 1),
        "within_budget": growth <= budget,
        "problems": problems[:50],
    }


def main(argv: list[str] | None = None) -> int:
    from dermadelta.imaging.decode import MAX_PIXELS

    parser = argparse.ArgumentParser(prog="python -m tools.decode_fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000, help="how many fuzzed inputs (default 10000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-pixels", type=int, default=MAX_PIXELS, help="the decoder's pixel limit")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds one input may take before it is a hang")
    parser.add_argument("--save", type=Path, help="write each input that escaped, crashed or hung into this folder")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    figures = run(count=args.inputs, seed=args.seed, max_pixels=args.max_pixels, timeout_s=args.timeout, save=args.save)
    text = json.dumps(figures, indent=2)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(text + "\n")
    print(text)
    failed = figures["escapes"] or figures["crashes"] or figures["hangs"] or not figures["within_budget"]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
