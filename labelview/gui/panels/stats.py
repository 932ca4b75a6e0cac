"""Statistics dock: bar charts of objects per category and per labeler, a confidence histogram of
model labels and the verdict counts — over what the review filters show.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QFontMetrics
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from labelview.gui.canvas.palette import color_for
from labelview.gui.panels.health import HealthPanel
from labelview.model import Dataset, Item
from labelview.review import ReviewFilter, ReviewLog

BINS = 20
BAR_PIXELS = 19
MAX_BARS = 25  # more categories than this: the rest go to one "other" bar
VERDICT_ORDER = ("accept", "reject", "needs-fix", "none")
VERDICT_RGB = {
    "accept": (39, 150, 70),
    "reject": (200, 55, 45),
    "needs-fix": (210, 140, 0),
    "none": (130, 135, 145),
}


def top(counts: Counter[str], limit: int = MAX_BARS) -> list[tuple[str, int]]:
    """The biggest `limit - 1` entries and an "other" bar for the rest (when there is a rest)."""
    ranked = counts.most_common()
    if len(ranked) <= limit:
        return ranked
    rest = sum(count for _, count in ranked[limit - 1 :])
    return [*ranked[: limit - 1], (f"other ({len(ranked) - limit + 1})", rest)]


def statistics(
    dataset: Dataset,
    flt: ReviewFilter | None = None,
    log: ReviewLog | None = None,
    rows: Iterable[int] | None = None,
) -> dict:
    """Counts behind the charts: over items `rows` (default all) and the objects `flt` shows."""
    flt = flt or ReviewFilter()
    categories: Counter[str] = Counter()
    labelers: Counter[str] = Counter()
    confidences: list[float] = []
    verdicts: Counter[str] = Counter()
    items: Iterable[Item] = dataset.items if rows is None else (dataset.items[i] for i in rows)
    for item in items:
        verdicts[(log.verdict_of(item) if log else None) or "none"] += 1
        for obj in item.objects:
            if not flt.object_visible(obj):
                continue
            categories[obj.category] += 1
            labelers[obj.created_by or item.labeler or "(unknown)"] += 1
            if obj.source == "model" and obj.confidence is not None:
                confidences.append(obj.confidence)
    histogram, edges = np.histogram(np.asarray(confidences, dtype=float), bins=BINS, range=(0, 1))
    return {
        "category": categories,
        "labeler": labelers,
        "confidence": (histogram, edges),
        "verdict": verdicts,
    }


class StatsPanel(QWidget):
    """Four charts that follow the review filter (call `update_stats` when it changes)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True)
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(QColor(250, 250, 250))
        self.plots = {}
        for row, (key, title) in enumerate(
            (
                ("category", "Objects per category"),
                ("labeler", "Objects per labeler"),
                ("confidence", "Confidence of model labels"),
                ("verdict", "Verdicts (items)"),
            )
        ):
            plot = self.view.addPlot(row=row, col=0, title=title)
            plot.setMenuEnabled(False)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.showGrid(x=True, y=False, alpha=0.2)
            self.plots[key] = plot
        self.note = QLabel()
        self.note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        # Health first: its button and counts stay in sight above the charts on a small screen.
        self.health = HealthPanel()
        layout.addWidget(self.health, 1)
        layout.addWidget(self.note)
        layout.addWidget(self.view, 3)
        self.data: dict = {}
        self.dataset: Dataset | None = None

    def update_stats(
        self,
        dataset: Dataset | None,
        flt: ReviewFilter | None = None,
        log: ReviewLog | None = None,
        rows: Iterable[int] | None = None,
    ) -> None:
        """Recount and redraw (items `rows`, objects passing `flt`)."""
        if dataset is not self.dataset:
            self.health.set_dataset(dataset)
        self.dataset = dataset
        for plot in self.plots.values():
            plot.clear()
        if dataset is None:
            self.data = {}
            self.note.setText("Open an export to see its statistics.")
            return
        rows = list(rows) if rows is not None else None
        self._widths: dict[str, int] = {}
        self._heights: dict[str, int] = {"confidence": 170}
        self.data = statistics(dataset, flt, log, rows)
        shown = len(rows) if rows is not None else len(dataset.items)
        objects = sum(self.data["category"].values())
        self.note.setText(f"{shown:,} items, {objects:,} objects shown by the review filters")
        colors = [
            color_for(dataset.categories.get(name), name) for name, _ in top(self.data["category"])
        ]
        self._bars("category", top(self.data["category"]), colors)
        self._bars("labeler", top(self.data["labeler"]), None)
        verdicts = [(v, self.data["verdict"].get(v, 0)) for v in VERDICT_ORDER]
        self._bars("verdict", verdicts, [QColor(*VERDICT_RGB[v]) for v in VERDICT_ORDER])
        self._histogram()
        # One left edge for all four charts, so their bars line up.
        width = max(self._widths.values(), default=40)
        for key, plot in self.plots.items():
            plot.getAxis("left").setWidth(width)
            height = self._heights.get(key, 110)
            plot.setMinimumHeight(height)
            plot.setMaximumHeight(height)
        self.view.setMinimumHeight(sum(self._heights.get(k, 110) for k in self.plots) + 30)

    def _bars(self, key: str, pairs: list[tuple[str, int]], colors: list[QColor] | None) -> None:
        plot = self.plots[key]
        if not pairs:
            plot.addItem(pg.TextItem("nothing to count", color=(120, 120, 120)))
            return
        # Horizontal bars, biggest on top: long category names stay readable on the axis.
        pairs = list(reversed(pairs))
        y = np.arange(len(pairs))
        widths = np.array([count for _, count in pairs], dtype=float)
        brushes = list(reversed(colors)) if colors else [QColor(70, 120, 190)] * len(pairs)
        # A faint outline keeps white or pale category colours visible.
        outline = pg.mkPen(0, 0, 0, 70)
        bars = pg.BarGraphItem(x0=0, y=y, height=0.7, width=widths, brushes=brushes, pen=outline)
        plot.addItem(bars)
        axis = plot.getAxis("left")
        axis.setTicks([[(i, name) for i, (name, _) in enumerate(pairs)]])
        # Room for the longest name: pyqtgraph silently hides tick labels that do not fit.
        metrics = QFontMetrics(axis.style.get("tickFont") or self.font())
        axis.setStyle(hideOverlappingLabels=False)
        self._widths[key] = min(220, 14 + max(metrics.horizontalAdvance(n) for n, _ in pairs))
        for i, (_, count) in enumerate(pairs):
            label = pg.TextItem(f"{count:,}", color=(60, 60, 60), anchor=(0, 0.5))
            label.setPos(count, i)
            plot.addItem(label)
        plot.setYRange(-0.6, len(pairs) - 0.4, padding=0)
        plot.setXRange(0, max(widths.max(), 1) * 1.15, padding=0)
        _whole_ticks(plot.getAxis("bottom"), widths.max())
        # Each bar gets its own line of text: the chart grows with the number of bars.
        self._heights[key] = 56 + BAR_PIXELS * len(pairs)

    def _histogram(self) -> None:
        plot = self.plots["confidence"]
        histogram, edges = self.data["confidence"]
        if not histogram.any():
            plot.addItem(pg.TextItem("no model labels with a confidence", color=(120, 120, 120)))
            return
        centres = (edges[:-1] + edges[1:]) / 2
        bars = pg.BarGraphItem(
            x=centres,
            height=histogram,
            width=(edges[1] - edges[0]) * 0.9,
            brush=QColor(120, 90, 180),
            pen=None,
        )
        plot.addItem(bars)
        plot.getAxis("left").setTicks(None)
        plot.setXRange(0, 1, padding=0.02)
        plot.setYRange(0, histogram.max() * 1.1, padding=0)
        _whole_ticks(plot.getAxis("left"), histogram.max())

    def update_from(self, panel) -> None:
        """Follow a ReviewPanel: its dataset, filter, verdicts and listed items."""
        self.update_stats(panel.dataset, panel.filter(), panel.log, panel.visible_rows())


def _whole_ticks(axis: pg.AxisItem, top_value: float) -> None:
    """Counts are whole numbers: no 0.5 ticks on small charts."""
    if top_value <= 10:
        axis.setTickSpacing(1, 1)
    else:
        axis.setTickSpacing()
