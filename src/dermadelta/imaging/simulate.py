"""Simulated subjects, treatment effects and capture nuisance, for the demo and the evaluation.

Everything here is labelled simulated wherever it is shown. The faces are public
photos that ship inside installed packages (scikit-image's ``astronaut``, NASA,
public domain; matplotlib's ``grace_hopper.jpg``, US Navy, public domain). They
are small and soft, so a subject is the face cropped, enlarged to a phone-like
resolution and given a procedural skin micro-texture (fine roughness, pores, fine
lines) on the skin, so that texture metrics have something real to measure.
Darker skin tones are simulated with a melanin-like attenuation of the skin.

All functions take and return sRGB float32 images in [0, 1] and a ``numpy``
random generator, never global state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import numpy as np
from numpy.typing import NDArray

from dermadelta.imaging.colour import (
    HAEMOGLOBIN_DENSITY,
    MELANIN_DENSITY,
    linear_to_lab,
    linear_to_srgb,
    log_luminance,
    srgb_to_linear,
)
from dermadelta.imaging.zones import (
    FACE_OVAL,
    LEFT_BROW,
    LEFT_EYE,
    LIPS,
    NOSTRILS,
    RIGHT_BROW,
    RIGHT_EYE,
)

Image = NDArray[np.float32]
Mask = NDArray[np.float32]  # soft mask in [0, 1]

PUBLIC_FACES = ("astronaut", "grace_hopper")
#: Melanin of an added brown spot: about 7 L* darker than the skin around it, a
#: clearly visible solar lentigo rather than a barely visible freckle.
_SPOT_MELANIN_UNITS = 0.6
#: Linear value of the 98th percentile of the skin's brightest channel in a subject.
_SKIN_HIGHLIGHT_LINEAR = 0.6
#: Melanin-like optical density per linear channel (R, G, B) for one unit of
#: simulated tone: melanin absorbs blue most and red least (Jacques 1998).
_MELANIN_DENSITY = np.array([0.55, 0.95, 1.3], dtype=np.float32)


@cache
def public_face(name: str) -> NDArray[np.uint8]:
    """A public-domain face photo shipped inside an installed package, as uint8 RGB."""
    if name == "astronaut":
        from skimage import data

        return np.asarray(data.astronaut())
    if name == "grace_hopper":
        import matplotlib.cbook as cbook
        from PIL import Image as PILImage

        path = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
        with PILImage.open(str(path)) as image:
            return np.asarray(image.convert("RGB"))
    raise ValueError(f"unknown public face {name!r}; choose from {', '.join(PUBLIC_FACES)}")


@dataclass(frozen=True)
class Subject:
    """A simulated subject: an sRGB photo and the soft mask of its facial skin."""

    name: str
    rgb: Image
    skin: Mask
    inter_ocular_px: float


def _landmarks_of(rgb: Image) -> NDArray[np.float64]:
    from dermadelta.imaging.landmarks import default_detector

    found = default_detector().detect(rgb)
    if not found.found:
        raise ValueError("no face in the simulated subject")
    return found.points


def skin_mask(shape: tuple[int, ...], points: NDArray[np.float64], iod: float) -> Mask:
    """Soft mask of the facial skin of a photo from its landmarks: the face oval less
    eyes, brows, lips and nostrils, with edges softened over 2 % of the IOD."""
    import cv2

    mask = np.zeros(shape[:2], dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(points[list(FACE_OVAL)]).astype(np.int32)], 1)
    for part in (LEFT_EYE, RIGHT_EYE, LEFT_BROW, RIGHT_BROW, LIPS, NOSTRILS):
        hull = cv2.convexHull(np.round(points[list(part)]).astype(np.int32))
        cv2.fillConvexPoly(mask, hull, 0)
        cv2.polylines(mask, [hull], True, 0, thickness=max(1, int(0.06 * iod)))
    return cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 0.02 * iod)


def _band_noise(shape: tuple[int, int], sigma_px: float, rng: np.random.Generator) -> Image:
    import cv2

    noise = cv2.GaussianBlur(rng.standard_normal(shape).astype(np.float32), (0, 0), sigma_px)
    return (noise / max(float(noise.std()), 1e-6)).astype(np.float32)


def skin_micro_texture(shape: tuple[int, int], *, mm_per_px: float, rng: np.random.Generator) -> Image:
    """Log-luminance relief of skin: roughness at 0.3 mm, pores, fine lines (natural-log units)."""
    import cv2

    relief = 0.035 * _band_noise(shape, 0.3 / mm_per_px, rng)
    pores = np.zeros(shape, dtype=np.float32)
    count = int(shape[0] * shape[1] * (mm_per_px**2) / 1.5)  # about 0.7 pores per mm^2
    ys = rng.integers(0, shape[0], count)
    xs = rng.integers(0, shape[1], count)
    pores[ys, xs] = 1.0
    pores = cv2.GaussianBlur(pores, (0, 0), 0.12 / mm_per_px)
    pores *= 0.10 / max(float(pores.max()), 1e-6)
    lines = np.zeros(shape, dtype=np.float32)
    for _ in range(int(shape[0] * shape[1] * mm_per_px**2 / 150)):
        x0, y0 = rng.uniform(0, shape[1]), rng.uniform(0, shape[0])
        angle, length = rng.uniform(0, np.pi), rng.uniform(3, 9) / mm_per_px
        x1, y1 = x0 + length * np.cos(angle), y0 + length * np.sin(angle)
        cv2.line(lines, (int(x0), int(y0)), (int(x1), int(y1)), 1.0, thickness=1)
    lines = cv2.GaussianBlur(lines, (0, 0), 0.25 / mm_per_px) * 0.6
    return (relief - pores - lines).astype(np.float32)


def make_subject(name: str, *, inter_ocular_px: float = 400.0, seed: int = 0) -> Subject:
    """A public face cropped to head and shoulders, enlarged so its IOD is about
    ``inter_ocular_px``, with a procedural skin micro-texture on its skin."""
    import cv2

    base = (public_face(name) / np.float32(255)).astype(np.float32)
    points = _landmarks_of(base)
    iod = float(np.linalg.norm(points[473] - points[468]))
    centre = points.mean(axis=0)
    half = np.array([1.6, 2.0]) * iod * 1.25
    # Pad by reflection where the photo ends close to the face (grace_hopper's chin),
    # so that reframing a capture never slides an empty border over the skin.
    pad = int(np.ceil(max(0.0, *(half - centre), *(centre + half - [base.shape[1], base.shape[0]]))))
    if pad:
        base = cv2.copyMakeBorder(base, pad, pad, pad, pad, cv2.BORDER_REFLECT)
        points = points + pad
        centre = centre + pad
    x0, y0 = np.floor(centre - half).astype(int)
    x1, y1 = np.ceil(centre + half).astype(int)
    crop = base[y0:y1, x0:x1]
    factor = inter_ocular_px / iod
    big = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)
    big = np.clip(big, 0, 1).astype(np.float32)
    big_points = (points - [x0, y0]) * factor
    skin = skin_mask(big.shape, big_points, inter_ocular_px)
    rng = np.random.default_rng(seed)
    relief = skin_micro_texture(big.shape[:2], mm_per_px=63.0 / inter_ocular_px, rng=rng)
    linear = srgb_to_linear(big) * np.exp(relief * skin)[..., None]
    # Expose as a careful photographer would: the brightest skin well below clipping,
    # so that the evaluation's +0.5 EV does not push the face into saturation.
    brightest = float(np.percentile(linear.max(axis=2)[skin > 0.5], 98))
    linear *= np.float32(_SKIN_HIGHLIGHT_LINEAR / max(brightest, 1e-6))
    rgb = linear_to_srgb(np.clip(linear, 0, 1))
    return Subject(name=name, rgb=rgb, skin=skin, inter_ocular_px=inter_ocular_px)


def with_skin_tone(subject: Subject, melanin_units: float) -> Subject:
    """The subject with darker skin: linear skin reflectance attenuated by a
    melanin-like density ``melanin_units`` (0 leaves it unchanged)."""
    attenuation = np.exp(-melanin_units * _MELANIN_DENSITY * subject.skin[..., None])
    linear = srgb_to_linear(subject.rgb) * attenuation
    return Subject(subject.name, linear_to_srgb(linear.astype(np.float32)), subject.skin, subject.inter_ocular_px)


# --- treatment effects: what a real change of the skin looks like -----------------


def add_haemoglobin(rgb: Image, skin: Mask, *, density: float) -> Image:
    """More blood in the skin: linear reflectance attenuated by a haemoglobin optical
    density ``density`` (log10 units at the green channel) under the soft ``skin`` mask."""
    attenuation = np.power(np.float32(10), -density * HAEMOGLOBIN_DENSITY * skin[..., None])
    return linear_to_srgb(np.clip(srgb_to_linear(rgb) * attenuation, 0, 1).astype(np.float32))


def add_melanin(rgb: Image, skin: Mask, *, density: float) -> Image:
    """More melanin in the skin (a tan, a darker patch): linear reflectance attenuated
    by a melanin optical density ``density`` (log10 units at the green channel)."""
    attenuation = np.power(np.float32(10), -density * (MELANIN_DENSITY / MELANIN_DENSITY[1]) * skin[..., None])
    return linear_to_srgb(np.clip(srgb_to_linear(rgb) * attenuation, 0, 1).astype(np.float32))


def add_redness(rgb: Image, skin: Mask, *, delta_a: float = 3.0) -> Image:
    """Erythema: more haemoglobin, which absorbs green far more than red, in the amount
    that raises the mean CIELAB a* of the skin (where ``skin`` > 0.5) by ``delta_a``.

    The density is found by bisection, so the change is a pure haemoglobin change
    (melanin untouched) of a known visible size.
    """
    core = skin > 0.5
    if not core.any() or delta_a == 0:
        return rgb
    start = float(np.mean(linear_to_lab(srgb_to_linear(rgb[core]))[:, 1]))

    def raised(density: float) -> float:
        changed = add_haemoglobin(rgb[core][None], skin[core][None], density=density)[0]
        return float(np.mean(linear_to_lab(srgb_to_linear(changed))[:, 1])) - start

    low, high = (0.0, 0.05) if delta_a > 0 else (-0.05, 0.0)
    while abs(raised(high if delta_a > 0 else low)) < abs(delta_a) and abs(high - low) < 2.0:
        high, low = (high * 2, low) if delta_a > 0 else (high, low * 2)
    for _ in range(30):
        middle = 0.5 * (low + high)
        if raised(middle) < delta_a:
            low = middle
        else:
            high = middle
    return add_haemoglobin(rgb, skin, density=0.5 * (low + high))


def smooth_texture(rgb: Image, skin: Mask, *, inter_ocular_px: float, amount: float = 0.5) -> Image:
    """Remove ``amount`` of the skin's fine relief (log luminance between Gaussians of 0.15 and 1 mm)."""
    import cv2

    mm = 63.0 / inter_ocular_px
    linear = srgb_to_linear(rgb)
    log_lum = log_luminance(linear)
    weight = skin.astype(np.float32)

    def skin_only(sigma_px: float) -> Image:
        # Normalized convolution: the relief of the skin alone, not the edges of the eyes,
        # lips, hair or background beside it, which a treatment leaves as they are.
        blurred = cv2.GaussianBlur(log_lum * weight, (0, 0), sigma_px)
        return (blurred / np.maximum(cv2.GaussianBlur(weight, (0, 0), sigma_px), 1e-6)).astype(np.float32)

    band = skin_only(0.15 / mm) - skin_only(1.0 / mm)
    factor = np.exp(-amount * band * skin)[..., None]
    return linear_to_srgb(np.clip(linear * factor, 0, 1))


def add_brown_spots(
    rgb: Image, skin: Mask, *, inter_ocular_px: float, rng: np.random.Generator, area_fraction: float = 0.03
) -> Image:
    """Add brown spots 1.5-4 mm across covering about ``area_fraction`` of the skin.

    Spots sit on a jittered grid, so every zone of the face gets its share of the
    change (a zone the simulation left untouched would have no true change to find).
    """
    import cv2

    mm = 63.0 / inter_ocular_px
    mean_area = np.pi * (1.375 / mm) ** 2  # radius uniform in 0.75-2.0 mm
    cell = float(np.sqrt(mean_area / area_fraction))
    density = np.zeros(skin.shape, dtype=np.float32)
    for y0 in np.arange(0, skin.shape[0], cell):
        for x0 in np.arange(0, skin.shape[1], cell):
            y, x = int(y0 + rng.uniform(0, cell)), int(x0 + rng.uniform(0, cell))
            radius = rng.uniform(0.75, 2.0) / mm
            if y < skin.shape[0] and x < skin.shape[1] and skin[y, x] > 0.9:
                cv2.circle(density, (x, y), int(round(radius)), _SPOT_MELANIN_UNITS, thickness=-1)
    density = cv2.GaussianBlur(density, (0, 0), 0.25 / mm) * skin
    attenuation = np.exp(-density[..., None] * _MELANIN_DENSITY)
    return linear_to_srgb(srgb_to_linear(rgb) * attenuation)


def add_spots_in(
    rgb: Image,
    region: NDArray[np.bool_],
    *,
    inter_ocular_px: float,
    rng: np.random.Generator,
    count: int,
    diameter_mm: tuple[float, float] = (1.0, 3.0),
) -> Image:
    """Add ``count`` brown spots (solar lentigines) ``diameter_mm`` across inside ``region``.

    Each is a melanin patch about 7 L* darker than the skin around it, with a soft
    edge; centres are drawn uniformly over the region, at least a diameter apart.
    """
    import cv2

    mm = 63.0 / inter_ocular_px
    candidates = np.argwhere(region)
    density = np.zeros(region.shape, dtype=np.float32)
    placed: list[tuple[float, float, float]] = []
    for _ in range(count * 50):
        if len(placed) == count or candidates.size == 0:
            break
        y, x = candidates[rng.integers(len(candidates))]
        radius = rng.uniform(*diameter_mm) / 2 / mm
        if any(np.hypot(y - py, x - px) < radius + pr + 1 for py, px, pr in placed):
            continue
        placed.append((float(y), float(x), float(radius)))
        cv2.circle(density, (int(x), int(y)), max(1, int(round(radius))), _SPOT_MELANIN_UNITS, thickness=-1)
    density = cv2.GaussianBlur(density, (0, 0), 0.15 / mm)
    attenuation = np.exp(-density[..., None] * _MELANIN_DENSITY)
    return linear_to_srgb(srgb_to_linear(rgb) * attenuation)


# --- capture nuisance: what changes between two photos of an unchanged face ---------


@dataclass(frozen=True)
class Nuisance:
    """One capture's differences: framing, light, sensor, and the phone's own processing
    (optical softness ``blur_px``, unsharp-mask ``sharpen`` amount, ``denoise`` strength)."""

    exposure_ev: float
    white_balance: tuple[float, float, float]
    jpeg_quality: int
    noise: float
    shift_px: tuple[float, float]
    scale: float
    rotation_deg: float
    blur_px: float = 0.0
    sharpen: float = 0.0
    denoise: float = 0.0


#: The kinds of capture difference the evaluation varies one at a time, and all at once.
NUISANCE_KINDS = (
    "scale",
    "rotation",
    "exposure",
    "white balance",
    "sensor noise",
    "jpeg",
    "softer phone",
    "sharpening",
    "noise reduction",
    "all at once",
)
#: A careful capture: the reference each single kind of nuisance is varied from.
NEUTRAL_CAPTURE = Nuisance(
    exposure_ev=0.0,
    white_balance=(1.0, 1.0, 1.0),
    jpeg_quality=92,
    noise=0.2,
    shift_px=(0.0, 0.0),
    scale=1.0,
    rotation_deg=0.0,
)


def phone_nuisance(rng: np.random.Generator, *, inter_ocular_px: float, kind: str = "all at once") -> Nuisance:
    """A capture as wide as real phones differ: scale 0.8-1.2, in-plane rotation up to
    15 deg, exposure +-0.5 EV, white balance +-6 % per channel, sensor noise, JPEG
    60-95, and another phone's processing (blur up to sigma 1 px, unsharp masking,
    noise reduction). ``kind`` varies one of ``NUISANCE_KINDS`` alone from a neutral
    capture, or all of them at once."""
    if kind not in NUISANCE_KINDS:
        raise ValueError(f"unknown nuisance kind {kind!r}")
    every = kind == "all at once"
    changes: dict[str, object] = {}
    if every or kind == "scale":
        changes["scale"] = float(rng.uniform(0.8, 1.2))
    if every or kind == "rotation":
        changes["rotation_deg"] = float(rng.uniform(-15, 15))
    if every:
        changes["shift_px"] = tuple(float(s) for s in rng.uniform(-0.3, 0.3, 2) * inter_ocular_px)
    if every or kind == "exposure":
        changes["exposure_ev"] = float(rng.uniform(-0.5, 0.5))
    if every or kind == "white balance":
        changes["white_balance"] = tuple(float(g) for g in rng.uniform(0.94, 1.06, 3))
    if every or kind == "sensor noise":
        changes["noise"] = float(rng.uniform(0.0, 1.0))
    if every or kind == "jpeg":
        changes["jpeg_quality"] = int(rng.integers(60, 96))
    if every or kind == "softer phone":
        changes["blur_px"] = float(rng.uniform(0.0, 1.0))
    if kind == "sharpening" or (every and rng.uniform() < 0.5):
        changes["sharpen"] = float(rng.uniform(0.2, 1.0))
    if kind == "noise reduction" or (every and rng.uniform() < 0.5):
        changes["denoise"] = float(rng.uniform(0.3, 1.0))
    return replace(NEUTRAL_CAPTURE, **changes)  # type: ignore[arg-type]


def random_nuisance(rng: np.random.Generator, *, inter_ocular_px: float) -> Nuisance:
    """Capture differences within the evaluation's bounds: exposure +-0.5 EV, white
    balance +-5 % per channel, JPEG 70-95, sensor noise, reframing."""
    return Nuisance(
        exposure_ev=float(rng.uniform(-0.5, 0.5)),
        white_balance=tuple(float(g) for g in rng.uniform(0.95, 1.05, 3)),  # type: ignore[arg-type]
        jpeg_quality=int(rng.integers(70, 96)),
        noise=float(rng.uniform(0.0, 1.0)),
        shift_px=tuple(float(s) for s in rng.uniform(-0.3, 0.3, 2) * inter_ocular_px),  # type: ignore[arg-type]
        scale=float(rng.uniform(0.9, 1.1)),
        rotation_deg=float(rng.uniform(-5, 5)),
    )


def similarity_matrix(
    *, shape: tuple[int, ...], rotation_deg: float, scale: float, shift_px: tuple[float, float]
) -> NDArray[np.float64]:
    """2 x 3 map of a rotation and scale about the image centre followed by a shift."""
    import cv2

    centre = (shape[1] / 2, shape[0] / 2)
    matrix = cv2.getRotationMatrix2D(centre, rotation_deg, scale)
    matrix[:, 2] += shift_px
    return matrix.astype(np.float64)


def warp(rgb: Image, matrix: NDArray[np.float64]) -> Image:
    """Apply a 2 x 3 affine or 3 x 3 perspective map; uncovered pixels are mid grey."""
    import cv2

    size = (rgb.shape[1], rgb.shape[0])
    if matrix.shape == (3, 3):
        out = cv2.warpPerspective(rgb, matrix, size, flags=cv2.INTER_CUBIC, borderValue=(0.5, 0.5, 0.5))
    else:
        out = cv2.warpAffine(rgb, matrix, size, flags=cv2.INTER_CUBIC, borderValue=(0.5, 0.5, 0.5))
    return np.clip(out, 0, 1).astype(np.float32)


def capture(rgb: Image, nuisance: Nuisance, *, rng: np.random.Generator) -> bytes:
    """Photograph ``rgb`` again under ``nuisance``: reframe, soften (optics), re-expose,
    re-balance, add sensor noise, then the phone's noise reduction and sharpening,
    and encode as JPEG. Returns the file's bytes."""
    import cv2

    matrix = similarity_matrix(
        shape=rgb.shape, rotation_deg=nuisance.rotation_deg, scale=nuisance.scale, shift_px=nuisance.shift_px
    )
    framed = warp(rgb, matrix)
    if nuisance.blur_px > 0.05:
        framed = cv2.GaussianBlur(framed, (0, 0), nuisance.blur_px)
    linear = srgb_to_linear(framed)
    linear = linear * np.float32(2.0**nuisance.exposure_ev) * np.asarray(nuisance.white_balance, np.float32)
    # Poisson-Gaussian sensor noise in linear light, at a phone's base ISO at most.
    sigma = np.sqrt(np.maximum(linear, 0) * np.float32(2e-4) + np.float32(2e-6)) * np.float32(nuisance.noise)
    linear = (linear + sigma * rng.standard_normal(linear.shape).astype(np.float32)).astype(np.float32)
    encoded = np.clip(linear_to_srgb(np.clip(linear, 0, 1)), 0, 1).astype(np.float32)
    if nuisance.denoise > 0:
        # An edge-preserving filter, as phones smooth flat areas and keep edges.
        encoded = cv2.bilateralFilter(encoded, 5, 0.02 + 0.06 * nuisance.denoise, 2.0)
    if nuisance.sharpen > 0:
        soft = cv2.GaussianBlur(encoded, (0, 0), 1.2)
        encoded = np.clip(encoded + nuisance.sharpen * (encoded - soft), 0, 1).astype(np.float32)
    return encode_jpeg(encoded, quality=nuisance.jpeg_quality)


def encode_jpeg(rgb: Image, *, quality: int = 95) -> bytes:
    """sRGB float32 in [0, 1] as the bytes of an 8-bit JPEG file."""
    import cv2

    encoded = np.clip(rgb * 255 + 0.5, 0, 255).astype(np.uint8)
    ok, buffer = cv2.imencode(".jpg", encoded[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buffer.tobytes()
