"""TP / FP / FN / wrong-class outlines drawn on the canvas over the labels, each error tagged.

Each kind has its own colour and dash, and the FP and wrong-class pens are wider than the FN's,
so a miss and an extra in the same place stay two visible outlines. Every FP, FN and wrong class
carries a tag with its class (and the candidate's confidence), so a reviewer reads what was wrong
without clicking.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainterPath

from labelview.evaluation import PictureResult
from labelview.gui.canvas import layers, paths
from labelview.gui.panels.compare.models import FN_COLOR, FP_COLOR, TP_COLOR, WRONG_COLOR
from labelview.model import ObjectLabel

Z_COMPARE = (layers.Z_POINT + layers.Z_TEXT) / 2  # over the labels, under their names
MAX_TAGS = 200  # beyond this many errors on one frame, tags would only hide the image

_STYLES = {
    "tp": (TP_COLOR, Qt.PenStyle.SolidLine, 2.0),
    "fp": (FP_COLOR, Qt.PenStyle.DashLine, 3.5),
    "fn": (FN_COLOR, Qt.PenStyle.DotLine, 2.0),
    "wrong": (WRONG_COLOR, Qt.PenStyle.DashDotLine, 3.5),
}


class CompareOverlay:
    """Outlines of one picture's matches, in a pyqtgraph ViewBox (the canvas's)."""

    def __init__(self, view: pg.ViewBox) -> None:
        self.view = view
        self.items = {}
        for key, (color, style, width) in _STYLES.items():
            item = paths.path_item(
                QPainterPath(), paths.cosmetic_pen(color, width, style), None, Z_COMPARE
            )
            view.addItem(item)
            self.items[key] = item
        self.paths: dict[str, int] = {}
        self.tags: list[pg.TextItem] = []

    def show(self, result: PictureResult | None, frame: int | None = None) -> None:
        """Outline the matches of one picture (None clears)."""
        groups: dict[str, list[tuple[ObjectLabel, str | None]]] = {k: [] for k in _STYLES}
        if result is not None:
            m = result.matches
            groups["tp"] = [(cand, None) for _ref, cand, _iou in m.true_positives]
            groups["fp"] = [(c, f"FP {c.category}{_score(c)}") for c in m.false_positives]
            groups["fn"] = [(r, f"FN {r.category}") for r in m.false_negatives]
            groups["wrong"] = [
                (c, f"{r.category} → {c.category}{_score(c)}") for r, c, _ in m.wrong_class
            ]
        self._clear_tags()
        for key, objects in groups.items():
            path = QPainterPath()
            shown = 0
            for obj, tag in objects:
                if frame is not None and obj.frame not in (None, frame):
                    continue
                outline = _outline(obj)
                if outline.isEmpty():
                    continue
                path.addPath(outline)
                shown += 1
                if tag and len(self.tags) < MAX_TAGS:
                    self._tag(tag, outline, _STYLES[key][0], below=key == "fn")
            self.items[key].setPath(path)
            self.paths[key] = shown

    def _tag(self, text: str, outline: QPainterPath, color, *, below: bool) -> None:
        rect = outline.boundingRect()
        # FN tags under the outline, the others above it: two errors at one place stay readable.
        anchor = (0, 0) if below else (0, 1)
        y = rect.bottom() if below else rect.top()
        tag = pg.TextItem(text, color=(255, 255, 255), fill=pg.mkBrush(color), anchor=anchor)
        tag.setPos(rect.left(), y)
        tag.setZValue(layers.Z_TEXT + 1)
        self.view.addItem(tag)
        self.tags.append(tag)

    def _clear_tags(self) -> None:
        for tag in self.tags:
            self.view.removeItem(tag)
        self.tags = []

    def clear(self) -> None:
        self.show(None)

    def remove(self) -> None:
        self._clear_tags()
        for item in self.items.values():
            self.view.removeItem(item)


def _score(obj: ObjectLabel) -> str:
    return f" {obj.confidence:.2f}" if obj.confidence is not None else ""


def _outline(obj: ObjectLabel) -> QPainterPath:
    outline = paths.outline_path(obj.geometry)
    if outline.isEmpty() and obj.geometry is not None:
        # Points and keypoints: a small box around them, so a miss is visible too.
        try:
            x0, y0, x1, y1 = obj.geometry.bounds()
        except (AttributeError, ValueError, TypeError):
            return outline
        outline.addRect(x0 - 3, y0 - 3, x1 - x0 + 6, y1 - y0 + 6)
    return outline
