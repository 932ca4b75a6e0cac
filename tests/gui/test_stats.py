"""Statistics dock: counts per category and labeler, confidences, verdicts; follows filters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg

from labelview import review
from labelview.gui.panels.review import ReviewPanel
from labelview.gui.panels.stats import StatsPanel, statistics, top
from labelview.model import Box, Dataset, Item, ObjectLabel


def dataset() -> Dataset:
    ds = Dataset(format="test")
    ds.category("car", color=(255, 0, 0))
    ds.category("dog", color=(0, 0, 255))
    ds.items = [
        Item(
            id="a",
            name="a.png",
            labeler="ann",
            objects=[
                ObjectLabel("car", Box(0, 0, 5, 5), source="manual"),
                ObjectLabel("car", Box(0, 0, 5, 5), source="model", confidence=0.92),
                ObjectLabel("dog", Box(0, 0, 5, 5), source="model", confidence=0.12),
            ],
        ),
        Item(
            id="b",
            name="b.png",
            labeler="bob",
            objects=[
                ObjectLabel("dog", Box(0, 0, 5, 5), source="model", confidence=0.57),
                ObjectLabel("dog", Box(0, 0, 5, 5), created_by="cy"),
            ],
        ),
    ]
    return ds


def test_statistics_counts_what_the_filter_shows() -> None:
    ds = dataset()
    stats = statistics(ds)
    assert stats["category"] == {"car": 2, "dog": 3}
    assert stats["labeler"] == {"ann": 3, "bob": 1, "cy": 1}
    histogram, edges = stats["confidence"]
    assert histogram.sum() == 3
    assert histogram[np.searchsorted(edges, 0.92) - 1] == 1
    assert histogram[2] == 1  # 0.12 falls in [0.10, 0.15)
    shown = statistics(ds, review.ReviewFilter(min_confidence=0.5))
    assert shown["category"] == {"car": 2, "dog": 2}
    assert shown["confidence"][0].sum() == 2


def test_top_groups_the_long_tail() -> None:
    counts = {f"c{i}": 100 - i for i in range(30)}
    from collections import Counter

    bars = top(Counter(counts), limit=5)
    assert bars[:4] == [("c0", 100), ("c1", 99), ("c2", 98), ("c3", 97)]
    assert bars[4] == ("other (26)", sum(100 - i for i in range(4, 30)))


def test_panel_follows_the_review_filter_and_verdicts(qtbot, settings, tmp_path: Path) -> None:
    export = tmp_path / "export.json"
    export.write_text("{}")
    ds = dataset()
    reviewer = ReviewPanel(settings=settings)
    qtbot.addWidget(reviewer)
    reviewer.set_dataset(ds, export)
    stats = StatsPanel()
    qtbot.addWidget(stats)
    reviewer.filter_changed.connect(lambda _f: stats.update_from(reviewer))
    reviewer.verdicts_changed.connect(lambda: stats.update_from(reviewer))
    stats.update_from(reviewer)
    assert stats.data["category"] == {"car": 2, "dog": 3}
    bars = [i for i in stats.plots["category"].items if isinstance(i, pg.BarGraphItem)]
    # y grows upwards: car (2) in row 0 at the bottom, dog (3), the biggest, on top.
    assert list(bars[0].opts["width"]) == [2.0, 3.0]
    assert stats.plots["category"].getAxis("left")._tickLevels == [[(0, "car"), (1, "dog")]]
    reviewer.set_min_confidence(0.6)
    assert stats.data["category"] == {"car": 2, "dog": 1}
    assert stats.note.text() == "2 items, 3 objects shown by the review filters"
    reviewer.set_current(0)
    reviewer.set_verdict("accept")
    assert stats.data["verdict"] == {"accept": 1, "none": 1}
    reviewer.choices["labelers"].set_chosen({"bob"})
    assert stats.data["verdict"] == {"none": 1}
    assert stats.data["labeler"] == {"cy": 1}
