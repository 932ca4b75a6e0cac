"""Panels are views on the session: classifications, history, items filters, issues, raw JSON."""

from __future__ import annotations

import json

from conftest import shapes_dataset, video_dataset
from PySide6.QtCore import Qt

from labelview.errors import Issue
from labelview.gui.panels.history import duration_text


def test_classification_tree_nests_item_and_object_answers(window) -> None:
    window.session.set_dataset(shapes_dataset())
    panel = window.classifications_panel
    assert panel.rows() == [
        (0, "Item", ""),
        (1, "weather", "rain"),
        (2, "strength", "light"),
        (3, "visible", "yes"),
        (1, "tags", "night, urban"),
    ]
    person = next(obj for obj in window.session.shown_objects() if obj.id == "person")
    window.session.select(person)
    assert panel.rows()[-3:] == [
        (0, "Object: person (person)", ""),
        (1, "pose", "standing"),
        (2, "arms", "up"),
    ]


def test_frame_level_answers_follow_the_frame(window) -> None:
    window.session.set_dataset(video_dataset())
    panel = window.classifications_panel
    assert (0, "Frame 0", "") in panel.rows()
    assert (1, "light", "day") in panel.rows()
    window.session.set_frame(2)
    assert (1, "light", "dusk") in panel.rows()
    assert (1, "light", "day") not in panel.rows()


def test_history_table_is_oldest_first_with_durations(window) -> None:
    window.session.set_dataset(shapes_dataset())
    assert window.history_panel.rows() == [
        ("Label", "submitted", "ann@x.org", "2024-03-01T09:00:00Z", "2m 05s"),
        ("Review", "accepted", "rev@x.org", "2024-03-02T10:00:00Z", "30s"),
    ]
    assert duration_text(3725) == "1h 02m"
    assert duration_text(2.5) == "2.5s"
    assert duration_text(None) == ""


def test_items_panel_filters(window) -> None:
    dataset = shapes_dataset()
    dataset.issues = [Issue("f.json", "[1]", "odd box", item="second")]
    window.session.set_dataset(dataset)
    panel = window.items_panel
    assert panel.visible_rows() == [0, 1]
    assert panel.model.data(panel.model.index(0, 2)) == 8
    assert panel.model.data(panel.model.index(0, 3)) == "ann@x.org"
    panel.filter_box.setText("SEC")
    assert panel.visible_rows() == [1]
    panel.filter_box.clear()
    panel.category_box.setCurrentIndex(panel.category_box.findText("polygon"))
    assert panel.visible_rows() == [0]
    panel.category_box.setCurrentIndex(0)
    panel.status_box.setCurrentIndex(panel.status_box.findText("QUEUED"))
    assert panel.visible_rows() == [1]
    panel.status_box.setCurrentIndex(0)
    panel.issues_box.setChecked(True)
    assert panel.visible_rows() == [1]
    # Choosing a row shows that item.
    panel.issues_box.setChecked(False)
    panel.table.setCurrentIndex(panel.proxy.index(1, 0))
    assert window.session.item.id == "second"


def test_issue_click_jumps_to_item_and_object(qtbot, window) -> None:
    dataset = shapes_dataset()
    dataset.issues = [Issue("f.json", "[0].objects[3]", "short line", item="shapes", object="line")]
    window.session.set_dataset(dataset)
    window.session.set_item(1)
    panel = window.issues_panel
    rect = panel.table.visualRect(panel.model.index(0, 3))
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.session.item.id == "shapes"
    assert window.session.selected.id == "line"
    assert window.issues_button.text() == "⚠ 1 warning"


def test_raw_json_shows_the_selection_with_extra(window) -> None:
    dataset = shapes_dataset()
    dataset.items[0].objects[0].extra = {"vendor_flag": 7}
    window.session.set_dataset(dataset)
    data = json.loads(window.raw_panel.text.toPlainText())
    assert data["name"] == "shapes.png"
    assert data["objects"] == 8
    window.session.select(dataset.items[0].objects[0])
    data = json.loads(window.raw_panel.text.toPlainText())
    assert data["geometry"] == {"kind": "box", "x": 0, "y": 0, "w": 50, "h": 25}
    assert data["extra"] == {"vendor_flag": 7}
    window.session.select(dataset.items[0].objects[2])
    polygon = json.loads(window.raw_panel.text.toPlainText())["geometry"]
    assert polygon["parts"][0]["holes"][0][0] == [80.0, 20.0]


def test_legend_counts_and_visibility(window) -> None:
    window.session.set_dataset(shapes_dataset())
    row = window.legend_panel.row("box")
    assert (row.text(1), row.text(2)) == ("1", "2")
    row.setCheckState(0, Qt.CheckState.Unchecked)
    assert window.session.hidden == {"box"}
    assert all(obj.category != "box" for obj in window.canvas.overlay.objects)
    window.session.set_category_visible("box", True)
    assert row.checkState(0) == Qt.CheckState.Checked
