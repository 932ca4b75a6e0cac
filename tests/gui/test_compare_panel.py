"""Compare dock: TP/FP/FN on a hand-made pair, worst items first, outlines on a canvas."""

from __future__ import annotations

import json
from pathlib import Path

import pyqtgraph as pg
import pytest

from labelview.gui.panels.compare import ComparePanel
from labelview.model import Box, Dataset, Item, ObjectLabel


def pair() -> tuple[Dataset, Dataset]:
    """Reference and candidate: a.png agrees fully, b.png has one miss and one extra."""
    ref, cand = Dataset(format="test"), Dataset(format="test")
    for ds in (ref, cand):
        ds.category("car")
        ds.category("dog")
    ref.items = [
        Item(
            id="1",
            name="a.png",
            width=100,
            height=100,
            objects=[
                ObjectLabel("car", Box(0, 0, 20, 20), id="r1"),
            ],
        ),
        Item(
            id="2",
            name="b.png",
            width=100,
            height=100,
            objects=[
                ObjectLabel("car", Box(10, 10, 20, 20), id="r2"),
                ObjectLabel("dog", Box(50, 50, 20, 20), id="r3"),
            ],
        ),
    ]
    cand.items = [
        Item(
            id="x",
            name="A.PNG",
            width=100,
            height=100,
            objects=[
                ObjectLabel("car", Box(1, 1, 20, 20), id="c1", confidence=0.9),
            ],
        ),
        Item(
            id="y",
            name="b.png",
            width=100,
            height=100,
            objects=[
                ObjectLabel("car", Box(12, 10, 20, 20), id="c2", confidence=0.8),
                ObjectLabel("car", Box(70, 0, 20, 20), id="c3", confidence=0.4),
                ObjectLabel("dog", Box(0, 70, 10, 10), id="c4", confidence=0.3),
            ],
        ),
    ]
    return ref, cand


@pytest.fixture
def panel(qtbot) -> ComparePanel:
    widget = ComparePanel()
    qtbot.addWidget(widget)
    ref, cand = pair()
    widget.set_reference(ref)
    widget.set_candidate(cand)
    return widget


def test_counts_and_worst_first(panel) -> None:
    assert panel.comparison.totals == {"tp": 2, "fp": 2, "fn": 1}
    rows = [
        [panel.model.data(panel.model.index(r, c)) for c in range(4)]
        for r in range(panel.model.rowCount())
    ]
    assert rows == [["b.png", 1, 2, 1], ["a.png", 1, 0, 0]]
    assert "TP 2" in panel.totals_label.text()
    assert "precision 0.500, recall 0.667" in panel.totals_label.text()


def test_threshold_changes_the_matching(panel) -> None:
    # IoU of c2 with r2 is 360/440 = 0.82; of c1 with r1 361/439 = 0.82.
    panel.threshold.setValue(0.85)
    assert panel.comparison.totals == {"tp": 0, "fp": 4, "fn": 3}
    panel.threshold.setValue(0.8)
    assert panel.comparison.totals == {"tp": 2, "fp": 2, "fn": 1}


def test_clicking_a_row_requests_the_reference_item(qtbot, panel) -> None:
    with qtbot.waitSignal(panel.item_requested) as signal:
        panel.table.selectRow(0)
    assert signal.args == [1]  # b.png is the second reference item


def test_overlay_outlines_tp_fp_fn(qtbot, panel) -> None:
    view = pg.ViewBox()
    panel.attach(view)
    panel.show_item(1)
    assert panel.overlay.paths == {"tp": 1, "fp": 2, "fn": 1}
    rect = panel.overlay.items["fn"].path().boundingRect()
    assert (rect.x(), rect.y(), rect.width(), rect.height()) == (50, 50, 20, 20)
    panel.show_item(0)
    assert panel.overlay.paths == {"tp": 1, "fp": 0, "fn": 0}


def test_load_reads_a_second_coco_export(qtbot, tmp_path: Path) -> None:
    ref, _ = pair()
    coco = {
        "images": [{"id": 1, "file_name": "b.png", "width": 100, "height": 100}],
        "categories": [{"id": 1, "name": "dog"}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": [50, 50, 20, 20],
                "area": 400,
                "iscrowd": 0,
            }
        ],
    }
    path = tmp_path / "pred.json"
    path.write_text(json.dumps(coco))
    widget = ComparePanel()
    qtbot.addWidget(widget)
    widget.set_reference(ref)
    widget.load(path, wait=True)
    assert widget.comparison.totals == {"tp": 1, "fp": 0, "fn": 2}
    assert "pred.json (coco)" in widget.source_label.text()
    # a.png is not in the predictions: listed only on request, always counted.
    assert [row.name for row in widget.model.rows] == ["b.png"]
    assert widget.one_sided_label.text() == "1 item only in the open export (their objects are FN)"
    widget.both_only.setChecked(False)
    assert [row.name for row in widget.model.rows] == ["a.png", "b.png"]  # 1 each: by name
