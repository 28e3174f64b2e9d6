"""A line chart as a PNG with the standard library alone (zlib + struct), for docs/capacity.png.

No plotting library: the chart is drawn into an RGB byte buffer (lines, square markers, the
5×7 bitmap font the review video already uses for names) and written as an 8-bit RGB PNG.
"""

from __future__ import annotations

import itertools
import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from liveinterview.media.bitmap_font import GLYPH_HEIGHT, GLYPH_WIDTH, GLYPHS, printable

Color = tuple[int, int, int]
WHITE: Color = (255, 255, 255)
BLACK: Color = (30, 30, 30)
GRID: Color = (225, 225, 225)
PALETTE: tuple[Color, ...] = (
    (214, 39, 40),  # red
    (31, 119, 180),  # blue
    (44, 160, 44),  # green
    (148, 103, 189),  # purple
    (255, 127, 14),  # orange
    (23, 190, 207),  # cyan
    (140, 86, 75),  # brown
    (127, 127, 127),  # grey
)


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[float, float]]
    dashed: bool = False


class Canvas:
    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.pixels = bytearray(WHITE * (width * height))

    def dot(self, x: int, y: int, color: Color) -> None:
        if 0 <= x < self.width and 0 <= y < self.height:
            at = (y * self.width + x) * 3
            self.pixels[at : at + 3] = bytes(color)

    def rect(self, x0: int, y0: int, x1: int, y1: int, color: Color) -> None:
        for y in range(max(0, y0), min(self.height, y1 + 1)):
            for x in range(max(0, x0), min(self.width, x1 + 1)):
                self.dot(x, y, color)

    def line(
        self,
        start: tuple[float, float],
        end: tuple[float, float],
        color: Color,
        width: int = 1,
        dashed: bool = False,
    ) -> None:
        (x0, y0), (x1, y1) = start, end
        steps = max(1, int(max(abs(x1 - x0), abs(y1 - y0))))
        half = width // 2
        for i in range(steps + 1):
            if dashed and (i // 6) % 2:
                continue
            x = round(x0 + (x1 - x0) * i / steps)
            y = round(y0 + (y1 - y0) * i / steps)
            self.rect(x - half, y - half, x - half + width - 1, y - half + width - 1, color)

    def text(self, x: int, y: int, text: str, color: Color = BLACK, scale: int = 2) -> int:
        """Draws `text` with its top-left corner at (x, y); returns its width."""
        advance = (GLYPH_WIDTH + 1) * scale
        for index, char in enumerate(printable(text)):
            left = x + index * advance
            for row, bits in enumerate(GLYPHS[char]):
                for column, ink in enumerate(bits):
                    if ink:
                        self.rect(
                            left + column * scale,
                            y + row * scale,
                            left + column * scale + scale - 1,
                            y + row * scale + scale - 1,
                            color,
                        )
        return len(printable(text)) * advance

    def png(self) -> bytes:
        raw = b"".join(
            b"\x00" + bytes(self.pixels[y * self.width * 3 : (y + 1) * self.width * 3])
            for y in range(self.height)
        )

        def chunk(kind: bytes, data: bytes) -> bytes:
            body = kind + data
            return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

        header = struct.pack(">IIBBBBB", self.width, self.height, 8, 2, 0, 0, 0)
        return (
            b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b"")
        )


def _nice_step(span: float, ticks: int = 6) -> float:
    raw = span / ticks
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def line_chart(
    path: Path,
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    width: int = 1060,
    height: int = 620,
) -> None:
    """Write a chart of `series` (lines through their points, markers at the points)."""
    canvas = Canvas(width, height)
    points = [p for s in series for p in s.points]
    x_max = max((x for x, _ in points), default=1.0)
    y_max = max((y for _, y in points), default=1.0)
    x_step, y_step = _nice_step(x_max), _nice_step(y_max)
    x_top = math.ceil(x_max / x_step) * x_step or x_step
    y_top = math.ceil(y_max * 1.05 / y_step) * y_step or y_step
    left, right, top, bottom = 90, width - 360, 84, height - 70
    text_height = GLYPH_HEIGHT * 2

    def to_px(x: float, y: float) -> tuple[float, float]:
        return (
            left + (right - left) * x / x_top,
            bottom - (bottom - top) * y / y_top,
        )

    canvas.text(left, 12, title)
    ticks = round(y_top / y_step)
    for i in range(ticks + 1):
        value = i * y_step
        _, y = to_px(0, value)
        canvas.line((left, y), (right, y), GRID)
        label = f"{value:g}"
        canvas.text(left - 12 - len(label) * 12, int(y) - text_height // 2 + 2, label)
    ticks = round(x_top / x_step)
    for i in range(ticks + 1):
        value = i * x_step
        x, _ = to_px(value, 0)
        canvas.line((x, top), (x, bottom), GRID)
        label = f"{value:g}"
        canvas.text(int(x) - len(label) * 6, bottom + 8, label)
    canvas.line((left, top), (left, bottom), BLACK, 2)
    canvas.line((left, bottom), (right, bottom), BLACK, 2)
    canvas.text((left + right) // 2 - len(x_label) * 6, bottom + 36, x_label)
    canvas.text(8, top - 34, y_label)

    for index, item in enumerate(series):
        color = PALETTE[index % len(PALETTE)]
        ordered = sorted(item.points)
        pixels = [to_px(x, y) for x, y in ordered]
        for a, b in itertools.pairwise(pixels):
            canvas.line(a, b, color, 3, dashed=item.dashed)
        for x, y in pixels:
            canvas.rect(int(x) - 4, int(y) - 4, int(x) + 4, int(y) + 4, color)
        legend_y = top + 10 + index * 30
        canvas.line((right + 20, legend_y + 8), (right + 50, legend_y + 8), color, 3, item.dashed)
        canvas.text(right + 58, legend_y, item.label[:24])
    path.write_bytes(canvas.png())
