"""Real faces at a 12 MP phone portrait's size, for the paths that decode a large photo reduced.

A face of the London Set (CC BY 4.0, tests/data/faces/SOURCES.md) is cropped to the
head (900 x 1150) and enlarged 3.3 times to 2970 x 3795, about 700 px between the
eyes, as a phone at arm's length: the enlargement adds no detail, so what differs
between a half-size and a full-size decode of it is the decode alone.
"""

from __future__ import annotations

import functools
from pathlib import Path

FACES = Path(__file__).parent / "data" / "faces"
#: (width, height) of every portrait made here.
PORTRAIT_SIZE = (2970, 3795)


@functools.cache
def phone_portrait(name: str, *, quality: int = 92) -> bytes:
    """The face in ``tests/data/faces/name`` as a 12 MP-class portrait's JPEG."""
    import cv2
    import numpy as np

    from dermadelta.imaging import simulate as sim
    from dermadelta.imaging.decode import decode

    head = decode(str(FACES / name)).rgb[100:1250, 225:1125]
    enlarged = cv2.resize(head, None, fx=3.3, fy=3.3, interpolation=cv2.INTER_CUBIC)
    return sim.encode_jpeg(np.clip(enlarged, 0, 1).astype(np.float32), quality=quality)
