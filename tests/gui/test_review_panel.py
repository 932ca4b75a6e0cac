"""Review dock: live confidence filter, sources, choices, seeded samples, Y/N/F verdicts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from labelview import review
from labelview.gui.panels.review import ReviewPanel
from labelview.model import Box, Dataset, Item, ObjectLabel, StageEvent


def review_dataset(count: int = 12) -> Dataset:
    """Items alternating labelers; each has a manual box and two model boxes (0.3 and 0.8)."""
    ds = Dataset(format="test")
    for name in ("car", "person"):
        ds.category(name)
    for index in range(count):
        category = "car" if index % 3 else "person"
        objects = [
            ObjectLabel(category, Box(0, 0, 10, 10), id=f"m{index}", source="manual"),
            ObjectLabel(
                category, Box(5, 5, 10, 10), id=f"a{index}", source="model", confidence=0.3
            ),
            ObjectLabel("car", Box(9, 9, 10, 10), id=f"b{index}", source="model", confidence=0.8),
        ]
        ds.items.append(
            Item(
                id=f"item-{index}",
                name=f"img{index:02d}.png",
                width=64,
                height=64,
                objects=objects,
                labeler="ann" if index % 2 else "bob",
                status="done" if index < 8 else "todo",
                history=[StageEvent("Review" if index < 4 else "Label", "x", "submitted")],
            )
        )
    return ds


@pytest.fixture
def export(tmp_path: Path) -> Path:
    path = tmp_path / "export.json"
    path.write_text("{}")
    return path


@pytest.fixture
def panel(qtbot, settings, export) -> ReviewPanel:
    widget = ReviewPanel(settings=settings)
    qtbot.addWidget(widget)
    widget.set_dataset(review_dataset(), export)
    widget.set_current(0)
    widget.resize(480, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_confidence_slider_hides_objects_below_it_live(qtbot, panel) -> None:
    assert [o.id for o in panel.shown_objects()] == ["m0", "a0", "b0"]
    with qtbot.waitSignal(panel.filter_changed) as signal:
        panel.confidence.setValue(50)  # what a drag does, step by step
    assert signal.args[0].min_confidence == 0.5
    assert [o.id for o in panel.shown_objects()] == ["m0", "b0"]  # no confidence: kept
    assert panel.model.data(panel.model.index(0, 1)) == "2/3"
    assert panel.confidence_label.text() == "≥ 0.50"
    panel.confidence.setValue(90)
    assert [o.id for o in panel.shown_objects()] == ["m0"]


def test_source_filter_manual_model_both(panel) -> None:
    panel.set_source("model")
    assert [o.id for o in panel.shown_objects()] == ["a0", "b0"]
    panel.set_source("manual")
    assert [o.id for o in panel.shown_objects()] == ["m0"]
    panel.set_source("both")
    assert len(panel.shown_objects()) == 3


def test_choice_filters_narrow_the_item_list(panel) -> None:
    assert len(panel.visible_rows()) == 12
    panel.choices["labelers"].set_chosen({"ann"})
    assert panel.visible_rows() == [1, 3, 5, 7, 9, 11]
    panel.choices["statuses"].set_chosen({"todo"})
    assert panel.visible_rows() == [9, 11]
    panel.choices["statuses"].clear()
    panel.choices["stages"].set_chosen({"Review"})
    assert panel.visible_rows() == [1, 3]
    panel.choices["stages"].clear()
    panel.choices["labelers"].clear()
    panel.choices["categories"].set_chosen({"person"})
    assert panel.visible_rows() == [0, 3, 6, 9]
    assert panel.choices["categories"].text() == "Category: person"
    assert [o.id for o in panel.shown_objects()] == ["m0", "a0"]


def test_sampling_with_the_same_seed_gives_the_same_items(panel) -> None:
    panel.sample_size.setValue(4)
    panel.seed.setValue(7)
    first = panel.draw_sample()
    assert len(first) == 4
    assert panel.visible_rows() == first
    panel.clear_sample()
    assert len(panel.visible_rows()) == 12
    assert panel.draw_sample() == first
    assert first == review.sample(panel.dataset.items, 4, seed=7)
    panel.seed.setValue(8)
    assert panel.draw_sample() != first
    panel.stratify.setCurrentIndex(panel.stratify.findData("labeler"))
    stratified = panel.draw_sample()
    labelers = [panel.dataset.items[i].labeler for i in stratified]
    assert sorted(labelers) == ["ann", "ann", "bob", "bob"]


def test_sample_draws_from_the_filtered_items(panel) -> None:
    panel.choices["labelers"].set_chosen({"bob"})
    panel.sample_size.setValue(3)
    drawn = panel.draw_sample()
    assert len(drawn) == 3
    assert all(index % 2 == 0 for index in drawn)


def test_keys_record_verdicts_that_survive_reopening_and_export_to_csv(
    qtbot, panel, settings, export, tmp_path
) -> None:
    requested = []
    panel.item_requested.connect(requested.append)
    panel.reviewer.setText("rita")
    panel.table.setFocus()
    qtbot.keyClick(panel.table, Qt.Key.Key_Y)
    assert requested[-1] == 1  # moved on to the next item
    panel.set_current(1)
    panel.note.setText("wheel missing")
    qtbot.keyClick(panel.table, Qt.Key.Key_N)
    panel.set_current(2)
    qtbot.keyClick(panel.table, Qt.Key.Key_F)
    log = review.ReviewLog.load(export)
    assert {k: v.verdict for k, v in log.items.items()} == {
        "item-0": "accept",
        "item-1": "reject",
        "item-2": "needs-fix",
    }
    assert log.items["item-1"].note == "wheel missing"
    assert log.items["item-0"].reviewer == "rita"

    reopened = ReviewPanel(settings=settings)
    qtbot.addWidget(reopened)
    reopened.set_dataset(review_dataset(), export)
    assert reopened.reviewer.text() == "rita"
    assert reopened.model.data(reopened.model.index(1, 2)) == "reject"
    reopened.choices["verdicts"].set_chosen({"none"})
    assert reopened.visible_rows() == list(range(3, 12))
    reopened.export(tmp_path / "verdicts.csv")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "verdicts.csv").read_text())))
    assert [(r["item"], r["verdict"], r["note"]) for r in rows] == [
        ("img00.png", "accept", ""),
        ("img01.png", "reject", "wheel missing"),
        ("img02.png", "needs-fix", ""),
    ]


def test_typing_y_in_the_note_does_not_record_a_verdict(qtbot, panel, export) -> None:
    panel.note.setFocus()
    qtbot.keyClicks(panel.note, "yes")
    assert panel.note.text() == "yes"
    assert review.ReviewLog.load(export).items == {}


def test_clicking_a_row_requests_that_item(qtbot, panel) -> None:
    with qtbot.waitSignal(panel.item_requested) as signal:
        panel.table.selectionModel().setCurrentIndex(
            panel.model.index(5, 0), panel.table.selectionModel().SelectionFlag.ClearAndSelect
        )
    assert signal.args == [5]
    assert panel.verdict_label.text() == "img05.png: not reviewed yet"


# --- in the main window ---------------------------------------------------------------------------


def show_review(qtbot, window, export: Path) -> ReviewPanel:
    dataset = review_dataset()
    dataset.source = export
    window.session.set_dataset(dataset)
    dock = window.docks["Review"]
    dock.show()
    dock.raise_()
    qtbot.waitUntil(dock.isVisible)
    return window.review_tools.review


def test_slider_hides_objects_on_the_canvas_and_in_the_objects_panel(qtbot, window, export):
    panel = show_review(qtbot, window, export)
    assert [o.id for o in window.canvas.overlay.objects] == ["m0", "a0", "b0"]
    window.session.select(window.session.item.objects[1])
    panel.set_min_confidence(0.5)
    assert [o.id for o in window.canvas.overlay.objects] == ["m0", "b0"]
    assert [o.id for o in window.objects_panel.model.objects] == ["m0", "b0"]
    assert window.session.selected is None  # the hidden object cannot stay selected
    window.session.step_item(1)
    assert [o.id for o in window.objects_panel.model.objects] == ["m1", "b1"]
    panel.set_source("model")
    assert [o.id for o in window.canvas.overlay.objects] == ["b1"]
    panel.set_min_confidence(0)
    panel.set_source("both")
    assert len(window.objects_panel.model.objects) == 3


def test_verdict_keys_work_in_the_window_and_follow_the_session(qtbot, window, export):
    panel = show_review(qtbot, window, export)
    window.canvas.setFocus()
    qtbot.keyClick(window.canvas, Qt.Key.Key_Y)
    assert window.session.item_index == 1  # accepted and moved on
    qtbot.keyClick(window.canvas, Qt.Key.Key_F)
    assert window.session.item_index == 2
    log = review.ReviewLog.load(export)
    assert {k: v.verdict for k, v in log.items.items()} == {
        "item-0": "accept",
        "item-1": "needs-fix",
    }
    assert panel.current == 2


def test_an_unreadable_sidecar_is_never_overwritten(qtbot, settings, export) -> None:
    sidecar = review.sidecar_path(export)
    sidecar.write_text("{not json")
    panel = ReviewPanel(settings=settings)
    qtbot.addWidget(panel)
    panel.set_dataset(review_dataset(), export)
    panel.set_current(0)
    assert not panel.verdict_box.isEnabled()
    assert panel.verdict_label.text().startswith("⚠ export.json.labelview-review.json")
    panel.set_verdict("accept")
    assert sidecar.read_text() == "{not json"
    panel.set_min_confidence(0.5)  # filters still work
    assert [o.id for o in panel.shown_objects()] == ["m0", "b0"]


def test_a_verdict_on_the_selected_object(qtbot, window, export) -> None:
    panel = show_review(qtbot, window, export)
    window.session.select(window.session.item.objects[1])
    assert panel.on_object.isEnabled()
    panel.on_object.setChecked(True)
    panel.note.setText("not a car")
    qtbot.keyClick(window.canvas, Qt.Key.Key_N)
    assert window.session.item_index == 0  # stays: more objects may need a verdict
    log = review.ReviewLog.load(export)
    assert log.items == {}
    assert {k: v.verdict for k, v in log.objects["item-0"].items()} == {"a0": "reject"}
    assert log.objects["item-0"]["a0"].note == "not a car"
    assert "a0 on img00.png: reject" in panel.verdict_label.text()
    rows = log.rows()
    assert [(r["item"], r["object_id"], r["verdict"]) for r in rows] == [
        ("img00.png", "a0", "reject")
    ]
    window.session.step_item(1)
    assert not panel.on_object.isEnabled()
    assert panel.judged_object() is None


def test_audit_report_from_the_review_dock(qtbot, window, export, tmp_path) -> None:
    from labelview.gui.panels import review_files

    panel = show_review(qtbot, window, export)
    for index, verdict in ((0, "accept"), (1, "accept"), (2, "reject")):
        panel.set_current(index)
        panel.set_verdict(verdict)
    report = tmp_path / "audit.html"
    message = review_files.write_audit(panel, report)
    assert message.startswith("9 judged, 3 defective: reject")  # 3 objects on each judged item
    assert "REJECT the batch" in report.read_text()
    assert (tmp_path / "audit.rework.csv").read_text().count("reject") == 3
    from PySide6.QtWidgets import QToolButton

    button = next(b for b in panel.findChildren(QToolButton) if b.text() == "Export verdicts")
    assert "Audit report…" in [action.text() for action in button.menu().actions()]
