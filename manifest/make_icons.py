"""Draw the Teams icons (color.png 192x192, outline.png 32x32) with the standard library only.

Run `python manifest/make_icons.py` to regenerate both files beside this script. The output is
deterministic, so a re-run with unchanged code leaves the committed PNGs byte-identical.

The motif is a compass rose whose long, golden point shows north: Talent Nord ("north").
"""
from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path
from dataclasses import dataclass
from typing import Callable, Sequence

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

def _paeth(a: int, b: int, c: int) -> int:
    """The PNG Paeth predictor."""
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _filter_row(kind: int, row: bytes, prev: bytes, bpp: int) -> bytes:
    """Apply PNG filter `kind` (0 none, 1 sub, 2 up, 3 average, 4 Paeth) to one scanline."""
    out = bytearray(len(row))
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        if kind == 0:
            pred = 0
        elif kind == 1:
            pred = a
        elif kind == 2:
            pred = b
        elif kind == 3:
            pred = (a + b) // 2
        else:
            pred = _paeth(a, b, c)
        out[i] = (x - pred) & 0xFF
    return bytes(out)


def _chunk(tag: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC over type+data."""
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def encode_png(width: int, height: int, pixels: Sequence[RGBA]) -> bytes:
    """Encode row-major RGBA pixels as an 8-bit RGBA, non-interlaced PNG."""
    if len(pixels) != width * height:
        raise ValueError(f"expected {width * height} pixels, got {len(pixels)}")
    bpp = 4
    raw = bytearray()
    prev = bytes(width * bpp)
    for y in range(height):
        row = bytes(v for px in pixels[y * width:(y + 1) * width] for v in px)
        # The usual libpng heuristic: pick the filter whose output has the smallest sum of
        # signed-byte magnitudes; it compresses well and exercises all five filter types.
        candidates = [_filter_row(kind, row, prev, bpp) for kind in range(5)]
        kind = min(range(5), key=lambda k: sum(v if v < 128 else 256 - v for v in candidates[k]))
        raw.append(kind)
        raw += candidates[kind]
        prev = row
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + _chunk(b"IEND", b"")
    )


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
    r2 = radius ** 2
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
                (shape.inside, fill) for shape, fill in shapes
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


def color_png() -> bytes:
    """The 192x192 full-colour icon."""
    return encode_png(192, 192, render(192, _gradient, rose_shapes(shaded=True)))


def outline_png() -> bytes:
    """The 32x32 white-on-transparent outline icon."""
    return encode_png(32, 32, render(32, lambda _t: CLEAR, rose_shapes(shaded=False), samples=8))


def main() -> None:
    """Write color.png and outline.png beside this script."""
    (HERE / "color.png").write_bytes(color_png())
    (HERE / "outline.png").write_bytes(outline_png())
    print(f"wrote {HERE / 'color.png'} and {HERE / 'outline.png'}")


if __name__ == "__main__":
    main()
