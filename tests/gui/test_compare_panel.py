"""Compare dock: scores per class following the confidence slider, the confusion matrix, the
errors walked with E, the images worst first and outlines on a canvas — on a hand-made pair and
on real exports.
"""

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


def _totals(panel) -> tuple[int, int, int]:
    t = panel.evaluation.totals
    return t.tp, t.fp, t.fn


def _table(model) -> list[list]:
    return [
        [model.data(model.index(r, c)) for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


def test_counts_and_worst_first(panel) -> None:
    assert _totals(panel) == (2, 2, 1)
    rows = _table(panel.model)
    assert rows == [["b.png", 1, 2, 1], ["a.png", 1, 0, 0]]
    assert "TP 2" in panel.totals_label.text()
    assert "precision 0.500, recall 0.667" in panel.totals_label.text()
    assert "mAP@[.5:.95]" in panel.totals_label.text()


def test_per_class_table_follows_the_confidence_slider(qtbot, panel) -> None:
    by_class = {row[0]: row[1:4] for row in _table(panel.classes_model)}
    assert by_class == {"car": [2, 1, 0], "dog": [0, 1, 1], "all": [2, 2, 1]}
    panel.set_score(0.5)  # as the Review dock's slider does
    qtbot.waitUntil(lambda: _totals(panel) == (2, 0, 1))
    by_class = {row[0]: row[1:4] for row in _table(panel.classes_model)}
    assert by_class == {"car": [2, 0, 0], "dog": [0, 0, 1], "all": [2, 0, 1]}
    assert "confidence ≥ 0.50" in panel.score_label.text()


def test_threshold_changes_the_matching(panel) -> None:
    # IoU of c2 with r2 is 360/440 = 0.82; of c1 with r1 361/439 = 0.82.
    panel.threshold.setValue(0.85)
    assert _totals(panel) == (0, 4, 3)
    panel.threshold.setValue(0.8)
    assert _totals(panel) == (2, 2, 1)


def test_clicking_a_row_requests_the_reference_item(qtbot, panel) -> None:
    with qtbot.waitSignal(panel.picture_requested) as signal:
        panel.table.selectRow(0)
    assert signal.args == [1, None]  # b.png is the second reference item


def test_clicking_a_confusion_cell_lists_its_objects(qtbot, panel) -> None:
    view = panel.confusion
    assert view.labels == ["car", "dog", "(background)"]
    # row = reference, column = candidate: (background, car) holds the extra car c3
    assert view.cell_at(0.5, 2.5) == ("(background)", "car")
    with qtbot.waitSignal(panel.object_requested) as signal:
        view.cell_clicked.emit("(background)", "car")
    assert [row.candidate.id for row in panel.errors_model.rows] == ["c3"]
    assert signal.args[0].id == "c3"
    assert panel.tabs.currentIndex() == 2
    panel.all_errors.click()
    assert {row.kind for row in panel.errors_model.rows} == {"FP", "FN"}


def test_e_walks_the_errors(qtbot, panel) -> None:
    kinds = [(row.kind, row.shown.id) for row in panel.errors_model.rows]
    assert kinds == [("FP", "c3"), ("FP", "c4"), ("FN", "r3")]  # most confident first
    seen = []
    panel.object_requested.connect(lambda obj: seen.append(obj.id))
    for _ in range(4):
        panel.step_error(1)
    panel.step_error(-1)
    assert seen == ["c3", "c4", "r3", "c3", "r3"]


def test_overlay_outlines_and_tags_errors(qtbot, panel) -> None:
    view = pg.ViewBox()
    panel.attach(view)
    panel.show_item(1)
    assert panel.overlay.paths == {"tp": 1, "fp": 2, "fn": 1, "wrong": 0}
    rect = panel.overlay.items["fn"].path().boundingRect()
    assert (rect.x(), rect.y(), rect.width(), rect.height()) == (50, 50, 20, 20)
    assert sorted(tag.toPlainText() for tag in panel.overlay.tags) == [
        "FN dog",
        "FP car 0.40",
        "FP dog 0.30",
    ]
    panel.show_item(0)
    assert panel.overlay.paths == {"tp": 1, "fp": 0, "fn": 0, "wrong": 0}
    assert panel.overlay.tags == []


def test_a_video_pairs_frame_by_frame_with_its_coco_conversion(qtbot, tmp_path: Path) -> None:
    from labelview import formats
    from labelview.convert import convert

    demo = Path(__file__).resolve().parents[2] / "labelview" / "demo" / "demo_export.json"
    convert(demo, tmp_path / "coco", "coco")
    widget = ComparePanel()
    qtbot.addWidget(widget)
    widget.set_reference(formats.read(demo))
    widget.load(tmp_path / "coco" / "annotations.json", wait=True)
    t = widget.evaluation.totals
    assert (t.fp, t.fn) == (0, 0)
    assert t.tp == widget.reference.object_count
    video = next(i for i, item in enumerate(widget.reference.items) if item.kind == "video")
    assert widget.of_item(video, 1).pair.reference.frame == 1


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
    assert _totals(widget) == (1, 0, 2)
    assert "pred.json (coco)" in widget.source_label.text()
    # a.png is not in the predictions: listed only on request, always counted.
    assert [row.pair.name for row in widget.model.rows] == ["b.png"]
    assert widget.one_sided_label.text() == "1 image only in the open export (their objects are FN)"
    widget.both_only.setChecked(False)
    assert [row.pair.name for row in widget.model.rows] == ["a.png", "b.png"]


# --- in the main window ---------------------------------------------------------------------------


def test_in_the_window_the_review_slider_and_e_drive_the_comparison(qtbot, window) -> None:
    from PySide6.QtCore import Qt

    ref, cand = pair()
    window.session.set_dataset(ref)
    tools = window.review_tools
    tools.compare.set_candidate(cand)
    assert _totals(tools.compare) == (2, 2, 1)
    review_dock = window.docks["Review"]
    review_dock.show()
    review_dock.raise_()
    qtbot.waitUntil(review_dock.isVisible)
    tools.review.set_min_confidence(0.5)  # the reviewer drags the confidence slider
    qtbot.waitUntil(lambda: _totals(tools.compare) == (2, 0, 1))
    tools.review.set_min_confidence(0.0)
    qtbot.waitUntil(lambda: _totals(tools.compare) == (2, 2, 1))
    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_E)  # the first error: the extra car c3 on b.png
    assert window.session.item_index == 1
    qtbot.keyClick(window, Qt.Key.Key_E)
    qtbot.keyClick(window, Qt.Key.Key_E)  # the missed dog r3: an object of the open export
    assert window.session.selected is not None
    assert window.session.selected.id == "r3"
    assert tools.compare.overlay.paths["fn"] == 1
