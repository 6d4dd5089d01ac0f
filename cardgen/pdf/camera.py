"""A printed QR code as a phone camera sees it: simulated print and capture, seeded.

A clean render always decodes; that check passed codes a phone will not read (RESEARCH.md
"Verifying"). This module makes the picture a phone would take of the printed card, from a
grey raster of the printed area (the PDF rendered at PRINT_PX_PER_MM), in the order things
happen to a card:

  print   ink spreads: every edge of the ink moves out by `ink_spread_mm` (dot gain on
          uncoated paper); ink is not black and paper not white in a photograph (grey
          levels 25 and 230).
  optics  defocus, a Gaussian blur of `blur_mm` (standard deviation, on the card), with the
          sensor's own pixel width added.
  pose    the card turned `tilt_deg` away from the camera about a random line in its plane,
          the camera 150 mm away aiming at the code, any rotation in the picture; the card
          `card_px` pixels across 85 mm (a phone-case card in a modest preview frame).
  light   a linear fall of `gradient` across the picture in a random direction, and glare
          (a bright spot washing out part of the code) when the condition has it.
  sensor  noise of `noise` grey levels (standard deviation), and a JPEG at `jpeg_quality`.

Everything random comes from `random.Random(seed)`, so a capture repeats exactly. Only
PIL is used, no numpy. TYPICAL and HARSH are RESEARCH.md's conditions; bench/bench_scan.py
measures what each decodes, by module size, with zxing-cpp and zbar.

`camera_check` is the verdict verification gives a code: captures at the typical condition
(seeds 0, 1, 2, ...) that must decode, and the margin, how much smaller a picture they still
decode in. A code with modules of 0.8 mm or more reads in about every capture
(bench/bench_scan.py), so CHECK_CAPTURES that must all decode say enough. Under 0.8 mm rates
fall, and a version 1 code (no alignment pattern) suffers most under tilt: there a code
passes when the first CLOSE_FIRST captures all decode, or when at most CLOSE_MISSES of
CLOSE_CAPTURES fail. That passes a code reading in 99 % of captures nine times in ten, one
reading in 98 % three times in four, one reading in 94 % one time in four and one reading
in 90 % one time in sixteen; a good code costs CLOSE_FIRST captures, not CLOSE_CAPTURES.
"""

from __future__ import annotations

import dataclasses
import io
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageFilter

#: Pixels a millimetre of the print raster that captures are made from (508 dpi): ink
#: spread is whole pixels of it (0.05 mm = 1 px).
PRINT_PX_PER_MM = 20.0
#: Pixels a millimetre once printed and blurred: half the print raster's, still finer than
#: a capture's (under 6 a mm).
SEEN_PX_PER_MM = PRINT_PX_PER_MM / 2
#: A phone-case card is 85 mm across; a condition's `card_px` is its width in the picture.
CARD_MM = 85.0
#: The camera's distance from the card, mm: sets how strong the perspective is.
CAMERA_MM = 150.0
#: Grey levels of black ink and of white paper in a photograph.
INK_LEVEL = 25
PAPER_LEVEL = 230
#: What is around the card in a picture (a table, a hand).
BACKGROUND = 128


@dataclass(frozen=True)
class Condition:
    """How a card is printed and photographed."""

    name: str
    ink_spread_mm: float
    blur_mm: float
    tilt_deg: float
    card_px: float
    gradient: float
    noise: float
    jpeg_quality: int
    #: strength of a glare spot (0: none; 1: the spot's centre is white)
    glare: float = 0.0

    @property
    def px_per_mm(self) -> float:
        return self.card_px / CARD_MM


#: RESEARCH.md's typical capture: what a card must survive.
TYPICAL = Condition("typical", ink_spread_mm=0.05, blur_mm=0.2, tilt_deg=20.0, card_px=500.0,
                    gradient=0.30, noise=4.0, jpeg_quality=70)
#: RESEARCH.md's harsh capture: a worn print, a shaky hand, a lamp's reflection.
HARSH = Condition("harsh", ink_spread_mm=0.10, blur_mm=0.3, tilt_deg=30.0, card_px=400.0,
                  gradient=0.30, noise=6.0, jpeg_quality=70, glare=0.7)


@dataclass(frozen=True)
class Printed:
    """A condition's print and optics applied to a raster, once for all its captures: the
    grey raster (SEEN_PX_PER_MM), where the code's box is in it (px: left, top, side) and
    the condition."""

    pixels: Image.Image
    code_box: tuple[float, float, float]
    condition: Condition


def printed(raster: Image.Image, code_box: tuple[float, float, float],
            condition: Condition) -> Printed:
    """The card area `raster` (grey, PRINT_PX_PER_MM, paper white) printed and seen through
    the lens: ink spread, ink and paper levels, defocus. `code_box` is the code's box,
    quiet zone included, in the raster's pixels (left, top, side)."""
    grey = raster if raster.mode == "L" else raster.convert("L")
    grey = _spread(grey, round(condition.ink_spread_mm * PRINT_PX_PER_MM))
    span = (PAPER_LEVEL - INK_LEVEL) / 255
    reduce = round(PRINT_PX_PER_MM / SEEN_PX_PER_MM)
    grey = grey.point([round(INK_LEVEL + v * span) for v in range(256)]).reduce(reduce)
    # the sensor's pixels average over their width: a box of one pixel is sigma = 1/sqrt(12)
    pixel_mm = 1 / condition.px_per_mm
    sigma_mm = math.hypot(condition.blur_mm, pixel_mm / math.sqrt(12))
    grey = grey.filter(ImageFilter.GaussianBlur(sigma_mm * SEEN_PX_PER_MM))
    left, top, side = code_box
    return Printed(grey, (left / reduce, top / reduce, side / reduce), condition)


def _spread(grey: Image.Image, pixels: int) -> Image.Image:
    """Dark areas grown by `pixels` on every side (a square minimum filter, made of shifted
    copies: PIL's rank filter is ten times slower)."""
    if pixels <= 0:
        return grey
    fill = 255
    wide = grey
    for step in range(1, pixels + 1):
        for dx in (-step, step):
            wide = ImageChops.darker(wide, _shifted(grey, dx, 0, fill))
    out = wide
    for step in range(1, pixels + 1):
        for dy in (-step, step):
            out = ImageChops.darker(out, _shifted(wide, 0, dy, fill))
    return out


def _shifted(image: Image.Image, dx: int, dy: int, fill: int) -> Image.Image:
    """`image` moved by (dx, dy) pixels, the uncovered edge filled with `fill`."""
    moved = Image.new("L", image.size, fill)
    moved.paste(image, (dx, dy))
    return moved


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """x with a x = b (Gaussian elimination with partial pivoting; a is square)."""
    n = len(b)
    m = [[*row, rhs] for row, rhs in zip(a, b, strict=True)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= f * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def _homography(src: Sequence[tuple[float, float]], dst: Sequence[tuple[float, float]]
                ) -> tuple[float, ...]:
    """PIL's PERSPECTIVE coefficients taking each point of `dst` to its point of `src`."""
    rows: list[list[float]] = []
    rhs: list[float] = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rhs.append(u)
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs.append(v)
    return tuple(_solve(rows, rhs))


def _pose(scale: float, print_size: tuple[int, int], centre: tuple[float, float],
          condition: Condition, turn: tuple[float, float], rng: random.Random
          ) -> tuple[tuple[int, int], tuple[float, ...]]:
    """The picture's size and the transform from picture to print pixels (`scale` a mm) for
    one pose."""
    tilt = math.radians(condition.tilt_deg)
    axis = turn[0] * math.pi  # the card turns about this line in its own plane
    spin = turn[1] * 2 * math.pi  # the phone's rotation about its own axis
    ax, ay = math.cos(axis), math.sin(axis)
    c, s = math.cos(tilt), math.sin(tilt)

    # Rodrigues' rotation about (ax, ay, 0) by `tilt`, applied to points (x, y, 0)
    def rotate(x: float, y: float) -> tuple[float, float, float]:
        dot = ax * x + ay * y
        return (x * c + ax * dot * (1 - c), y * c + ay * dot * (1 - c),
                s * (ax * y - ay * x))

    focal = condition.px_per_mm * CAMERA_MM
    cs, sn = math.cos(spin), math.sin(spin)
    width, height = print_size
    corners = [(0.0, 0.0), (float(width), 0.0), (float(width), float(height)),
               (0.0, float(height))]
    projected: list[tuple[float, float]] = []
    for u, v in corners:
        x = (u - centre[0]) / scale
        y = (v - centre[1]) / scale
        px, py, pz = rotate(x, y)
        depth = CAMERA_MM + pz
        sx, sy = focal * px / depth, focal * py / depth
        projected.append((sx * cs - sy * sn, sx * sn + sy * cs))
    pad = 6.0
    left = min(p[0] for p in projected) - pad + rng.random()
    top = min(p[1] for p in projected) - pad + rng.random()
    shifted = [(x - left, y - top) for x, y in projected]
    size = (math.ceil(max(p[0] for p in shifted) + pad), math.ceil(max(p[1] for p in shifted)
                                                                    + pad))
    return size, _homography(corners, shifted)


def _lit(picture: Image.Image, condition: Condition, rng: random.Random) -> Image.Image:
    """A light gradient (and glare) over the picture."""
    width, height = picture.size
    angle = rng.uniform(0, 2 * math.pi)
    dx, dy = math.cos(angle), math.sin(angle)
    # Light along (dx, dy): 1 at the brightest corner, 1 - gradient at the darkest. A linear
    # ramp is bilinear in its corners, so a 2 x 2 image stretched over the picture is it.
    ends = [dx * x + dy * y for y in (0, height) for x in (0, width)]
    low, high = min(ends), max(ends)
    floor = 1 - condition.gradient
    corners = bytes(round(255 * (floor + (1 - floor) * (e - low) / (high - low))) for e in ends)
    light = Image.frombytes("L", (2, 2), corners).resize(
        (width, height), Image.Resampling.BILINEAR, box=(0.5, 0.5, 1.5, 1.5))
    lit = ImageChops.multiply(picture, light)
    if condition.glare > 0:
        # PIL's radial ramp: 0 at the centre, 181 at the middle of each side (255 at the
        # corners); made 2 x radius wide, 181 is the spot's rim.
        spot = Image.radial_gradient("L")
        radius = rng.uniform(0.12, 0.22) * min(width, height)
        size = max(2, round(2 * radius))
        spot = spot.resize((size, size), Image.Resampling.BILINEAR)
        strength = condition.glare
        spot = spot.point([round(255 * strength * max(0.0, 1 - v / 181) ** 2)
                           for v in range(256)])
        cx = rng.uniform(0.3, 0.7) * width
        cy = rng.uniform(0.3, 0.7) * height
        glare = Image.new("L", (width, height), 0)
        glare.paste(spot, (round(cx - size / 2), round(cy - size / 2)))
        lit = ImageChops.add(lit, glare)
    return lit


def _noisy(picture: Image.Image, sigma: float, rng: random.Random) -> Image.Image:
    """Sensor noise: the mean of two uniform bytes a pixel (a triangular distribution,
    close enough to Gaussian), scaled to `sigma` grey levels."""
    if sigma <= 0:
        return picture
    size = picture.size
    count = size[0] * size[1]
    a = Image.frombytes("L", size, rng.randbytes(count))
    b = Image.frombytes("L", size, rng.randbytes(count))
    mean = ImageChops.add(a, b, scale=2.0)  # (a + b) / 2: mean 127.5, sd 52.2
    scale = sigma / 52.2
    noise = mean.point([max(0, min(255, round(128 + (v - 127.5) * scale)))
                        for v in range(256)])
    return ImageChops.add(picture, noise, scale=1.0, offset=-128)


def _turn(seed: int) -> tuple[float, float]:
    """The pose of capture `seed`: where the tilt's axis lies and how far the phone is turned,
    each a fraction of its range. Consecutive seeds spread evenly over both (steps of the
    golden ratio and of the square root of two, which leave no wide gap), so a dozen
    captures already meet the card from every side: a version 1 code, with no alignment
    pattern, reads worse from some sides than from others."""
    return ((0.5 + seed * 0.6180339887498949) % 1.0, (0.5 + seed * 0.41421356237309503) % 1.0)


def capture(source: Printed, seed: int, card_px: float | None = None) -> Image.Image:
    """One photograph of the printed area (grey), the same for the same seed; `card_px`
    instead of the condition's: the same card seen from further away."""
    condition = source.condition
    if card_px is not None:
        condition = dataclasses.replace(condition, card_px=card_px)
    rng = random.Random(seed)
    left, top, side = source.code_box
    centre = (left + side / 2 + rng.uniform(-0.5, 0.5), top + side / 2 + rng.uniform(-0.5, 0.5))
    size, coeffs = _pose(SEEN_PX_PER_MM, source.pixels.size, centre, condition,
                         _turn(seed), rng)
    # Bilinear is enough: the print is already blurred over several of its pixels.
    picture = source.pixels.transform(size, Image.Transform.PERSPECTIVE, coeffs,
                                      Image.Resampling.BILINEAR, fillcolor=BACKGROUND)
    picture = _lit(picture, condition, rng)
    picture = _noisy(picture, condition.noise, rng)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=condition.jpeg_quality)
    out.seek(0)
    with Image.open(out) as jpeg:
        return jpeg.convert("L")


#: Seeded captures at the typical condition that a code must decode in, every one of them.
CHECK_CAPTURES = 12
#: For a code under the 0.8 mm warning line: the captures that pass it if all decode, else
#: the captures, and the failures allowed among them, that still may.
CLOSE_FIRST = 30
CLOSE_CAPTURES = 48
CLOSE_MISSES = 1
#: Smaller pictures (the card's width in px) tried, in order, for a code's margin, and the
#: captures (the first of the check's seeds) that must all decode at each.
MARGIN_STEPS = (425.0, 350.0, 275.0, 200.0)
MARGIN_CAPTURES = 4


@dataclass(frozen=True)
class CameraVerdict:
    """How one code fared in the camera check."""

    decoded: int
    captures: int
    #: the smallest picture (card px across 85 mm) in which the margin's captures still
    #: decoded; None when the code failed, or the margin was not measured
    smallest_px: float | None
    #: failures the check allowed
    misses: int = 0

    @property
    def tried(self) -> int:
        """Captures taken: all of them for a code that passed, else up to its last failure."""
        return self.captures if self.passed else self.decoded + self.misses + 1

    @property
    def passed(self) -> bool:
        return self.decoded >= self.captures - self.misses

    @property
    def margin(self) -> float:
        """How much smaller than the typical picture the code still reads in (0.4: 40 %)."""
        if self.smallest_px is None:
            return 0.0
        return 1 - self.smallest_px / TYPICAL.card_px


def camera_check(raster: Image.Image, code_box: tuple[float, float, float],
                 decodes: Callable[[Image.Image], bool], *, close: bool = False,
                 margin: bool = True) -> CameraVerdict:
    """The code in `raster` (the printed area, PRINT_PX_PER_MM, code box in px) photographed
    at the typical condition, seeds 0, 1, 2, ...: CHECK_CAPTURES times, every one of which
    `decodes` must accept, or (`close`: modules under the warning line) CLOSE_FIRST times
    that all decode, else CLOSE_CAPTURES with at most CLOSE_MISSES failures; it stops at the
    failure too many. With `margin`, a code that passed gets the smallest of MARGIN_STEPS in
    which MARGIN_CAPTURES captures all still decode."""
    captures, misses = (CLOSE_CAPTURES, CLOSE_MISSES) if close else (CHECK_CAPTURES, 0)
    source = printed(raster, code_box, TYPICAL)
    decoded = failed = 0
    for seed in range(captures):
        if decodes(capture(source, seed)):
            decoded += 1
        else:
            failed += 1
            if failed > misses:
                break
        if close and not failed and decoded == CLOSE_FIRST:
            captures, misses = CLOSE_FIRST, 0  # none missed: passed
            break
    if failed > misses or not margin:
        return CameraVerdict(decoded, captures, None, misses)
    smallest = TYPICAL.card_px
    for card_px in MARGIN_STEPS:
        if not all(decodes(capture(source, seed, card_px)) for seed in range(MARGIN_CAPTURES)):
            break
        smallest = card_px
    return CameraVerdict(decoded, captures, smallest, misses)
