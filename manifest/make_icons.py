"""Draw the Teams icons (color.png 192x192, outline.png 32x32); Pillow (a dev dependency) writes the PNGs.

Run `python manifest/make_icons.py` to regenerate both files beside this script. The drawing is
deterministic, so a re-run with unchanged code gives the committed icons' pixels exactly (the test
compares pixels, so another Pillow's compression does not matter). The bot itself never imports this.

The motif is a compass rose whose long, golden point shows north: Talent Nord ("north").
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent

RGBA = tuple[int, int, int, int]
Point = tuple[float, float]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1


@dataclass(frozen=True)
class Shape:
    """A test "is (x, y) inside?" in unit coordinates (0..1, y down), plus its bounding box."""

    inside: Callable[[float, float], bool]
    box: Box


# Deep blue; also the manifest's accentColor so the tile around the icon matches.
ACCENT = (0x0B, 0x2E, 0x59)
BG_TOP = (0x17, 0x4A, 0x86)
BG_BOTTOM = ACCENT
RING = (0x6F, 0x9B, 0xD1, 255)
MINOR_POINT = (0x4F, 0x80, 0xBE, 255)
LIGHT_FACE = (0xFF, 0xFF, 0xFF, 255)
SHADE_FACE = (0xC6, 0xD6, 0xEA, 255)
NORTH_LIGHT = (0xF7, 0xC2, 0x3C, 255)
NORTH_SHADE = (0xD9, 0x93, 0x14, 255)
WHITE = (255, 255, 255, 255)
CLEAR: RGBA = (255, 255, 255, 0)  # fully transparent, but white, so no tool ever sees a dark pixel

CENTRE: Point = (0.5, 0.5)


# --- PNG writer -------------------------------------------------------------------------------


def encode_png(width: int, height: int, pixels: Sequence[RGBA]) -> bytes:
    """Encode row-major RGBA pixels as an 8-bit RGBA PNG (Pillow's writer: lossless, and the same bytes every run)."""
    if len(pixels) != width * height:
        raise ValueError(f"expected {width * height} pixels, got {len(pixels)}")
    image = Image.frombytes("RGBA", (width, height), bytes(v for px in pixels for v in px))
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def decode_png(data: bytes) -> tuple[int, int, list[RGBA]]:
    """Width, height and row-major RGBA pixels of a PNG (any colour type Pillow reads)."""
    with Image.open(io.BytesIO(data)) as image:
        rgba = image.convert("RGBA")
        raw = rgba.tobytes()
        width, height = rgba.size
    return width, height, [(raw[i], raw[i + 1], raw[i + 2], raw[i + 3]) for i in range(0, len(raw), 4)]


# --- geometry ---------------------------------------------------------------------------------


def triangle(p: Point, q: Point, r: Point) -> Shape:
    """A filled triangle (either winding)."""

    def side(ax: float, ay: float, bx: float, by: float, x: float, y: float) -> float:
        return (bx - ax) * (y - ay) - (by - ay) * (x - ax)

    def inside(x: float, y: float) -> bool:
        d1 = side(*p, *q, x, y)
        d2 = side(*q, *r, x, y)
        d3 = side(*r, *p, x, y)
        has_neg = d1 < 0 or d2 < 0 or d3 < 0
        has_pos = d1 > 0 or d2 > 0 or d3 > 0
        return not (has_neg and has_pos)

    xs, ys = (p[0], q[0], r[0]), (p[1], q[1], r[1])
    return Shape(inside, (min(xs), min(ys), max(xs), max(ys)))


def _circle_box(radius: float, centre: Point) -> Box:
    """Bounding box of a circle."""
    return (centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius)


def ring(radius: float, width: float, centre: Point = CENTRE) -> Shape:
    """A circular band of the given mid radius and stroke width."""
    lo, hi = (radius - width / 2) ** 2, (radius + width / 2) ** 2

    def inside(x: float, y: float) -> bool:
        d = (x - centre[0]) ** 2 + (y - centre[1]) ** 2
        return lo <= d <= hi

    return Shape(inside, _circle_box(radius + width / 2, centre))


def disc(radius: float, centre: Point = CENTRE) -> Shape:
    """A filled circle."""
    r2 = radius**2
    return Shape(lambda x, y: (x - centre[0]) ** 2 + (y - centre[1]) ** 2 <= r2, _circle_box(radius, centre))


def _polar(angle_deg: float, length: float) -> Point:
    """A point `length` from the centre; 0 degrees is north, clockwise like a compass."""
    a = math.radians(angle_deg)
    return (CENTRE[0] + length * math.sin(a), CENTRE[1] - length * math.cos(a))


def compass_point(angle_deg: float, length: float, waist: float) -> tuple[Shape, Shape]:
    """The two halves (left, right as seen from the centre) of one kite-shaped compass point."""
    tip = _polar(angle_deg, length)
    left = _polar(angle_deg - 45, waist)
    right = _polar(angle_deg + 45, waist)
    return triangle(CENTRE, tip, left), triangle(CENTRE, tip, right)


def rose_shapes(shaded: bool) -> list[tuple[Shape, RGBA]]:
    """The compass rose, back to front; `shaded` gives the two-tone colour version."""
    shapes: list[tuple[Shape, RGBA]] = []
    if shaded:
        shapes.append((ring(0.33, 0.028), RING))
        for angle in (45, 135, 225, 315):
            for half in compass_point(angle, 0.27, 0.06):
                shapes.append((half, MINOR_POINT))
        waist, north, other = 0.085, 0.45, 0.36
    else:
        # At 32 px thin strokes blur into a wheel, so the outline uses a heavier ring,
        # fatter points and no minor points.
        shapes.append((ring(0.30, 0.07), WHITE))
        waist, north, other = 0.14, 0.47, 0.40
    # North is longest so the icon reads as "north" even at a glance.
    for angle, length in ((0, north), (90, other), (180, other), (270, other)):
        left, right = compass_point(angle, length, waist)
        if not shaded:
            shapes += [(left, WHITE), (right, WHITE)]
        elif angle == 0:
            shapes += [(left, NORTH_LIGHT), (right, NORTH_SHADE)]
        else:
            shapes += [(left, LIGHT_FACE), (right, SHADE_FACE)]
    if shaded:
        shapes.append((disc(0.03), (*ACCENT, 255)))
    else:
        # A punched-out hub keeps the silhouette from being a solid blob at 32 px.
        shapes.append((disc(0.05), CLEAR))
    return shapes


# --- rasteriser -------------------------------------------------------------------------------


def render(
    size: int,
    background: Callable[[float], RGBA],
    shapes: Sequence[tuple[Shape, RGBA]],
    samples: int = 4,
) -> list[RGBA]:
    """Rasterise shapes (painter's order, opaque or fully clear) with samples x samples antialiasing."""
    pixels: list[RGBA] = []
    offsets = [(i + 0.5) / samples for i in range(samples)]
    n = samples * samples
    for py in range(size):
        bg = background(py / (size - 1))
        y0, y1 = py / size, (py + 1) / size
        for px in range(size):
            x0, x1 = px / size, (px + 1) / size
            # Only shapes whose box touches this pixel can cover a sample; this keeps a
            # 192 px, 16-sample render quick enough to run in a test.
            near = [
                (shape.inside, fill)
                for shape, fill in shapes
                if shape.box[0] <= x1 and shape.box[2] >= x0 and shape.box[1] <= y1 and shape.box[3] >= y0
            ]
            r = g = b = a = 0
            for oy in offsets:
                y = (py + oy) / size
                for ox in offsets:
                    x = (px + ox) / size
                    colour = bg
                    for inside, fill in near:
                        if inside(x, y):
                            colour = fill
                    # Average premultiplied colour so transparent samples add no tint.
                    r += colour[0] * colour[3]
                    g += colour[1] * colour[3]
                    b += colour[2] * colour[3]
                    a += colour[3]
            if a == 0:
                pixels.append(CLEAR)
                continue
            pixels.append((round(r / a), round(g / a), round(b / a), round(a / n)))
    return pixels


def _gradient(t: float) -> RGBA:
    """Top-to-bottom blue gradient for the colour icon's background."""
    return (
        round(BG_TOP[0] + (BG_BOTTOM[0] - BG_TOP[0]) * t),
        round(BG_TOP[1] + (BG_BOTTOM[1] - BG_TOP[1]) * t),
        round(BG_TOP[2] + (BG_BOTTOM[2] - BG_TOP[2]) * t),
        255,
    )


def color_pixels() -> list[RGBA]:
    """The 192x192 full-colour icon's pixels."""
    return render(192, _gradient, rose_shapes(shaded=True))


def outline_pixels() -> list[RGBA]:
    """The 32x32 white-on-transparent outline icon's pixels."""
    return render(32, lambda _t: CLEAR, rose_shapes(shaded=False), samples=8)


def color_png() -> bytes:
    """The 192x192 full-colour icon as PNG."""
    return encode_png(192, 192, color_pixels())


def outline_png() -> bytes:
    """The 32x32 white-on-transparent outline icon as PNG."""
    return encode_png(32, 32, outline_pixels())


def main() -> None:
    """Write color.png and outline.png beside this script."""
    (HERE / "color.png").write_bytes(color_png())
    (HERE / "outline.png").write_bytes(outline_png())
    print(f"wrote {HERE / 'color.png'} and {HERE / 'outline.png'}")


if __name__ == "__main__":
    main()
