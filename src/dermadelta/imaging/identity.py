"""Same face, same orientation: does the after photo show the before photo's person, and was it mirrored?

No face-recognition model is used. Once the after photo is registered onto the
before photo (landmarks, then refined on skin detail), the fine detail of the skin
(moles, freckles, pores, fine hairs, small vessels, 0.4 to 1.5 mm) lies on the same
canonical pixels in both photos of one person and correlates strongly; another
person's skin detail does not, even though the two faces' landmarks and shading
match. The face is split into overlapping tiles a quarter of the inter-ocular
distance wide, away from the eyes, brows, lips and nostrils (whose edges line up
in any two registered faces); each tile of the before photo is matched against
the after photo within a small search window (expression and perspective move
skin by a few pixels), and the score is the median of the tiles' best normalized
cross-correlations: robust to new spots, hair or a smile changing a minority of
tiles.

A mirrored photo is also a plausible face, and faces are nearly symmetric at
coarse scales, so landmarks alone cannot tell it. Its skin detail can: registered
the wrong way round, a person's moles and pores fall on the other cheek and the
score drops far below that of the flipped-back photo (though it stays above a
stranger's: the symmetric part of a face still correlates).

The threshold and the measured rates come from real faces re-captured under
capture nuisance and from every pair of different people (``docs/IDENTITY.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dermadelta.imaging.colour import log_luminance
from dermadelta.imaging.standardize import CANONICAL_IOD_PX, Standardized
from dermadelta.imaging.zones import (
    LEFT_BROW,
    LEFT_EYE,
    LIPS,
    NOSTRILS,
    RIGHT_BROW,
    RIGHT_EYE,
    _hull_mask,
    _shrink,
    face_region,
)

#: Inner sigma of the difference-of-Gaussians band of log luminance, as a fraction of
#: the inter-ocular distance (0.006 IOD is about 0.4 mm); the outer sigma is 4 times it.
DETAIL_SIGMA_IOD = 0.006
DETAIL_SIGMA_RATIO = 4.0
#: Square tiles, a quarter of the IOD wide (about 16 mm), on a grid of half a tile.
TILE_IOD = 0.25
#: How far each tile is searched for in the other photo (about 2 mm): residual
#: misregistration, expression and perspective.
SEARCH_IOD = 0.03
#: The face oval is shrunk by this much (its edge is shadow and background).
OVAL_INSET_IOD = 0.06
#: Eyes, brows, lips and nostrils are grown by this much; a tile touching them on
#: more than ``FEATURE_TOLERANCE`` of its area is not used.
FEATURE_MARGIN_IOD = 0.03
FEATURE_TOLERANCE = 0.05
#: Share of a tile that must lie inside the (shrunk) face oval.
MIN_TILE_IN_FACE = 0.8
#: Fewer comparable tiles than this (a quarter of a typical face) is too little
#: shared face to tell one person from another.
MIN_TILES = 32
#: Tiles whose detail band is flatter than this (natural-log units) in either photo
#: (clipped highlights, empty frame) carry no detail to correlate.
MIN_DETAIL_STD = 1e-3

#: Scores at or above this are the same person. Fitted in ``docs/IDENTITY.md``: the
#: highest different-person score among the fitting people plus 0.02, as low as that
#: allows so that real re-visits (another day, light or expression) pass.
SAME_PERSON_THRESHOLD = 0.24
#: A score this high is the right orientation beyond doubt (a person's own mirror
#: image scored at most 0.52 in the calibration): the mirrored orientation is not tried.
CERTAIN_SCORE = 0.7

DIFFERENT_PERSON = "the after photo shows a different person than the before photo"
TOO_LITTLE_FACE = "the two photos share too little of the face to tell whether they show the same person"


@dataclass(frozen=True)
class Identity:
    """The identity check of a comparison: the skin-detail score of the after photo as
    given and flipped left to right (None when not tried, or when the photos share
    too little face to judge), and the number of face tiles the kept score rests on.

    The orientation kept is the one that scores higher (the photo as given on a tie);
    the photos show the same person when its score reaches ``threshold``.
    """

    as_given: float | None
    flipped: float | None
    tiles: int
    threshold: float = SAME_PERSON_THRESHOLD

    @property
    def _flip_scores_higher(self) -> bool:
        return self.flipped is not None and (self.as_given is None or self.flipped > self.as_given)

    @property
    def score(self) -> float | None:
        """The score of the orientation kept."""
        return self.flipped if self._flip_scores_higher else self.as_given

    @property
    def same_person(self) -> bool:
        return self.score is not None and self.score >= self.threshold

    @property
    def mirrored(self) -> bool:
        """The after photo was a mirror image of the same person, to be flipped back."""
        return self.same_person and self._flip_scores_higher

    @property
    def reason(self) -> str:
        """Why the comparison was refused, in plain words; "" when it was not."""
        if self.same_person:
            return ""
        return TOO_LITTLE_FACE if self.score is None else DIFFERENT_PERSON

    def to_dict(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 4)

        return {
            "same_person": self.same_person,
            "score": rounded(self.score),
            "score_as_given": rounded(self.as_given),
            "score_flipped": rounded(self.flipped),
            "threshold": self.threshold,
            "tiles": self.tiles,
        }


def _px(fraction_of_iod: float) -> int:
    return max(1, round(fraction_of_iod * CANONICAL_IOD_PX))


def detail_band(
    linear: NDArray[np.float32], valid: NDArray[np.bool_], *, sigma_px: float, ratio: float = DETAIL_SIGMA_RATIO
) -> NDArray[np.float32]:
    """Difference-of-Gaussians band of log luminance (sigmas ``sigma_px`` and
    ``ratio * sigma_px``); pixels outside ``valid`` are filled with the median first.

    Log luminance makes the band blind to exposure (a gain is an offset, which the
    band removes), and nearly so to white balance (luminance, not chroma)."""
    import cv2

    log_lum = log_luminance(linear)
    if not np.any(valid):
        return np.zeros(log_lum.shape, dtype=np.float32)
    # The usual frame lies wholly inside the photo: nothing to fill, and no median to take.
    filled = log_lum if valid.all() else np.where(valid, log_lum, np.float32(np.median(log_lum[valid])))
    filled = filled.astype(np.float32, copy=False)
    fine = cv2.GaussianBlur(filled, (0, 0), sigma_px)
    coarse = cv2.GaussianBlur(filled, (0, 0), sigma_px * ratio)
    return (fine - coarse).astype(np.float32)


def comparable_region(landmarks: NDArray[np.float64]) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """The shrunk face oval and the grown eyes, brows, lips and nostrils, in the
    canonical frame of ``landmarks``."""
    face = _shrink(face_region(landmarks), _px(OVAL_INSET_IOD))
    features = np.zeros(face.shape, dtype=bool)
    for part in (LEFT_EYE, RIGHT_EYE, LEFT_BROW, RIGHT_BROW, LIPS, NOSTRILS):
        features |= _hull_mask(landmarks[list(part)], _px(FEATURE_MARGIN_IOD))
    return face, features


def tile_correlations(
    fixed: Standardized,
    moving: Standardized,
    *,
    tile_iod: float = TILE_IOD,
    search_iod: float = SEARCH_IOD,
    sigma_iod: float = DETAIL_SIGMA_IOD,
) -> NDArray[np.float32]:
    """Best normalized cross-correlation of the skin-detail band of each face tile of
    ``fixed`` within ``search_iod`` of the same place in ``moving`` (both in one
    canonical frame, ``fixed``'s landmarks deciding the tiles). Empty when no tile
    qualifies.

    References
    ----------
    Pierrard JS, Vetter T. Skin detail analysis for face recognition. IEEE CVPR 2007.
    Lewis JP. Fast normalized cross-correlation. Vision Interface 1995:120-3.
    """
    import cv2

    tile, search = _px(tile_iod), _px(search_iod)
    face, features = comparable_region(fixed.landmarks)
    both = fixed.valid & moving.valid
    band_fixed = detail_band(fixed.linear, fixed.valid, sigma_px=sigma_iod * CANONICAL_IOD_PX)
    band_moving = detail_band(moving.linear, moving.valid, sigma_px=sigma_iod * CANONICAL_IOD_PX)
    height, width = face.shape
    area = float(tile * tile)
    # Summed-area tables give each tile's share of face, features and shared pixels.
    sums = {
        name: cv2.integral(mask.astype(np.uint8), sdepth=cv2.CV_32S)
        for name, mask in (("face", face), ("features", features), ("both", both))
    }

    def share(name: str, row: int, col: int) -> float:
        s = sums[name]
        return float(s[row + tile, col + tile] - s[row, col + tile] - s[row + tile, col] + s[row, col]) / area

    scores = []
    for row in range(search, height - tile - search + 1, tile // 2):
        for col in range(search, width - tile - search + 1, tile // 2):
            if share("face", row, col) < MIN_TILE_IN_FACE or share("features", row, col) > FEATURE_TOLERANCE:
                continue
            if share("both", row, col) < 1.0:
                continue
            template = band_fixed[row : row + tile, col : col + tile]
            window = band_moving[row - search : row + tile + search, col - search : col + tile + search]
            facing = band_moving[row : row + tile, col : col + tile]
            if template.std() < MIN_DETAIL_STD or facing.std() < MIN_DETAIL_STD:
                continue
            match = cv2.matchTemplate(window, template, cv2.TM_CCOEFF_NORMED)
            best = float(np.nanmax(match)) if np.isfinite(match).any() else 0.0
            scores.append(min(max(best, -1.0), 1.0))
    return np.asarray(scores, dtype=np.float32)


def detail_similarity(
    fixed: Standardized,
    moving: Standardized,
    *,
    tile_iod: float = TILE_IOD,
    search_iod: float = SEARCH_IOD,
    sigma_iod: float = DETAIL_SIGMA_IOD,
    min_tiles: int = MIN_TILES,
) -> tuple[float | None, int]:
    """The skin-detail similarity of two registered photos of a face: the median of
    :func:`tile_correlations`, and the number of tiles it rests on. None when fewer
    than ``min_tiles`` tiles could be compared."""
    scores = tile_correlations(fixed, moving, tile_iod=tile_iod, search_iod=search_iod, sigma_iod=sigma_iod)
    if scores.size < min_tiles:
        return None, int(scores.size)
    return float(np.median(scores)), int(scores.size)


def judge(
    as_given: float | None,
    flipped: float | None,
    *,
    tiles: tuple[int, int] = (0, 0),
    threshold: float = SAME_PERSON_THRESHOLD,
) -> Identity:
    """The identity check from both orientations' scores (``tiles`` in the same order)."""
    undecided = Identity(as_given, flipped, 0, threshold)
    kept = tiles[1] if undecided._flip_scores_higher else tiles[0]
    return replace(undecided, tiles=kept)
