"""A minimal ICC v2 matrix/TRC display profile, built byte by byte for tests.

Only sRGB profiles ship on the machine; to test the conversion of an embedded
profile the tests need another one, so this writes Adobe RGB (1998) from its
published D50-adapted colorants (ICC.1:2001-04 layout).
"""

from __future__ import annotations

import struct

D50 = (0.9642, 1.0, 0.8249)
ADOBE_RGB_D50 = {
    "rXYZ": (0.60974, 0.31111, 0.01947),
    "gXYZ": (0.20528, 0.62567, 0.06087),
    "bXYZ": (0.14919, 0.06322, 0.74457),
}
ADOBE_RGB_GAMMA = 563 / 256  # 2.19921875, as Adobe's own profile stores it


def _s15f16(values: tuple[float, ...]) -> bytes:
    return b"".join(struct.pack(">i", round(v * 65536)) for v in values)


def _xyz(values: tuple[float, float, float]) -> bytes:
    return b"XYZ " + b"\0" * 4 + _s15f16(values)


def _curve(gamma: float) -> bytes:
    return b"curv" + b"\0" * 4 + struct.pack(">I", 1) + struct.pack(">H", round(gamma * 256)) + b"\0\0"


def _description(text: str) -> bytes:
    ascii_text = text.encode("ascii") + b"\0"
    body = b"desc" + b"\0" * 4 + struct.pack(">I", len(ascii_text)) + ascii_text
    body += b"\0" * 8  # no Unicode description
    body += b"\0" * 3 + b"\0" * 67  # no ScriptCode description
    return body + b"\0" * (-len(body) % 4)


def _text(text: str) -> bytes:
    body = b"text" + b"\0" * 4 + text.encode("ascii") + b"\0"
    return body + b"\0" * (-len(body) % 4)


def adobe_rgb_profile() -> bytes:
    tags = [
        (b"desc", _description("Adobe RGB (1998) test profile")),
        (b"cprt", _text("No copyright, test data")),
        (b"wtpt", _xyz(D50)),
        (b"rXYZ", _xyz(ADOBE_RGB_D50["rXYZ"])),
        (b"gXYZ", _xyz(ADOBE_RGB_D50["gXYZ"])),
        (b"bXYZ", _xyz(ADOBE_RGB_D50["bXYZ"])),
        (b"rTRC", _curve(ADOBE_RGB_GAMMA)),
        (b"gTRC", _curve(ADOBE_RGB_GAMMA)),
        (b"bTRC", _curve(ADOBE_RGB_GAMMA)),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        table += signature + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    header = struct.pack(">I", size) + b"none" + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
    header += struct.pack(">6H", 2026, 1, 1, 0, 0, 0) + b"acsp" + b"APPL" + b"\0" * 4 + b"none" + b"\0" * 4
    header += b"\0" * 8 + struct.pack(">I", 0) + _s15f16(D50) + b"none" + b"\0" * 16 + b"\0" * 28
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + table + data
