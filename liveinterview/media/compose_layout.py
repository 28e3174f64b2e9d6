"""Where each participant goes in the review file's picture (pure).

Without a screen share: a grid (1: full frame; 2: side by side; 3-4: 2×2; 5-6: 3×2).
While someone shares their screen: the screen large on the left, every camera small in a
column on the right. All coordinates and sizes are even, as 4:2:0 chroma needs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Rect:
    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class Layout:
    cameras: dict[str, Rect]  # participant id -> cell
    screen: Rect | None


def _even(value: float) -> int:
    return int(value) // 2 * 2


def grid(count: int, area: Rect) -> list[Rect]:
    """`count` cells filling `area`, row by row."""
    if count <= 0:
        return []
    columns = 2 if count == 2 else math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    width, height = _even(area.width / columns), _even(area.height / rows)
    cells = []
    for index in range(count):
        row, column = divmod(index, columns)
        in_row = min(columns, count - row * columns)  # centre a short last row
        left = area.x + _even((area.width - in_row * width) / 2)
        top = area.y + _even((area.height - rows * height) / 2)
        cells.append(Rect(left + column * width, top + row * height, width, height))
    return cells


def layout(
    participants: Sequence[str], screen_owner: str | None, width: int, height: int
) -> Layout:
    """Cells for `participants` (in order) and, if someone shares, the screen's area."""
    if screen_owner is None:
        cells = grid(len(participants), Rect(0, 0, width, height))
        return Layout(dict(zip(participants, cells, strict=True)), None)
    side = _even(width / 4)
    cell_height = min(_even(side * 9 / 16), _even(height / max(1, len(participants))))
    top = _even((height - cell_height * len(participants)) / 2)
    cameras = {
        participant: Rect(width - side, top + index * cell_height, side, cell_height)
        for index, participant in enumerate(participants)
    }
    return Layout(cameras, Rect(0, 0, width - side, height))


def fit(source_width: int, source_height: int, cell: Rect) -> Rect:
    """The largest rectangle of the source's aspect ratio centred in `cell`."""
    if source_width <= 0 or source_height <= 0:
        return cell
    scale = min(cell.width / source_width, cell.height / source_height)
    width = max(2, _even(source_width * scale))
    height = max(2, _even(source_height * scale))
    return Rect(
        cell.x + _even((cell.width - width) / 2),
        cell.y + _even((cell.height - height) / 2),
        width,
        height,
    )
