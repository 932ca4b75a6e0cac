"""Category colours: the export's own colour when it has one, else a stable distinct colour."""

from __future__ import annotations

import zlib
from functools import lru_cache

from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from labelview.model import Category

# Distinct, readable on photos (Tableau 20 reordered so neighbours differ strongly).
_PALETTE = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (188, 189, 34),
    (23, 190, 207),
    (174, 199, 232),
    (255, 187, 120),
    (152, 223, 138),
    (255, 152, 150),
    (197, 176, 213),
    (196, 156, 148),
    (247, 182, 210),
    (219, 219, 141),
    (158, 218, 229),
)


def rgb_for(category: Category | None, name: str = "") -> tuple[int, int, int]:
    """The category's colour, or a palette colour chosen by a stable hash of its name."""
    if category is not None and category.color is not None:
        return tuple(int(c) for c in category.color)  # type: ignore[return-value]
    key = category.name if category is not None else name
    # crc32, not hash(): Python salts str hashes per process, colours must not change per run.
    return _PALETTE[zlib.crc32(key.encode("utf-8")) % len(_PALETTE)]


def color_for(category: Category | None, name: str = "", alpha: int = 255) -> QColor:
    """rgb_for as a QColor with the given alpha."""
    r, g, b = rgb_for(category, name)
    return QColor(r, g, b, alpha)


@lru_cache(maxsize=256)
def _swatch(rgba: int, size: int) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor.fromRgba(rgba))
    painter = QPainter(pixmap)
    painter.setPen(QColor(0, 0, 0, 110))  # a rim, so white and pale classes still show
    painter.drawRect(0, 0, size - 1, size - 1)
    painter.end()
    return QIcon(pixmap)


def swatch(color: QColor, size: int = 12) -> QIcon:
    """A small colour square with a rim (legend and object rows)."""
    return _swatch(color.rgba(), size)
