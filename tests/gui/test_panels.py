"""Panels are views on the session: classifications, history, items filters, issues, raw JSON."""

from __future__ import annotations

import json

from conftest import shapes_dataset, video_dataset
from PySide6.QtCore import Qt

from labelview.errors import Issue
from labelview.gui.panels.history import duration_text
from labelview.model import Box, Category, Dataset, Item, ObjectLabel, Polygon


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


def _shown_widths(table) -> dict[int, int]:
    return {
        column: table.columnWidth(column)
        for column in range(table.model().columnCount())
        if not table.isColumnHidden(column)
    }


def test_items_columns_fit_the_default_panel(window) -> None:
    from labelview.gui.panels.items import NAME_MIN, MiddleElided

    window.session.set_dataset(shapes_dataset())
    table = window.items_panel.table
    widths = _shown_widths(table)
    # Name, status, object count and labeler all shown; no item has issues: no issue column.
    assert sorted(widths) == [0, 1, 2, 3]
    assert sum(widths.values()) <= table.viewport().width()
    assert widths[0] > max(NAME_MIN, table.fontMetrics().horizontalAdvance("second.png"))
    # Status and labeler may elide a little at the narrow default width, never to "C…D".
    assert widths[1] >= 64
    assert widths[3] >= 64
    assert isinstance(table.itemDelegateForColumn(0), MiddleElided)
    # An issue on an item brings the (narrow) issue column back.
    window.session.set_dataset(shapes_dataset())
    window.session.issues.append(Issue("f.json", "[1]", "odd box", item="second"))
    window.session.issues_changed.emit()
    assert not table.isColumnHidden(4)
    assert sum(_shown_widths(table).values()) <= table.viewport().width()


def test_items_width_sharing_hides_the_labeler_before_the_name_is_unreadable() -> None:
    from labelview.gui.panels.items import share_width

    natural = {1: 60, 2: 40, 3: 60, 4: 24}
    assert share_width(500, 200, natural) == {1: 60, 2: 40, 3: 60, 4: 24, 0: 316}
    narrow = share_width(259, 400, natural)
    assert narrow[3] == 0
    assert narrow[1] == 60
    assert narrow[0] == 259 - 60 - 40 - 24
    # Long values are capped, then squeezed (eliding) before anything hides.
    squeezed = share_width(300, 80, {1: 200, 2: 40, 3: 200})
    assert squeezed[0] >= 80
    assert 64 <= squeezed[1] <= 110
    assert 64 <= squeezed[3] <= 130
    assert sum(squeezed.values()) <= 300


def test_objects_columns_fit_and_unfilled_ones_hide(window) -> None:
    dataset = shapes_dataset()
    dataset.items[0].objects.append(ObjectLabel("box", None, id="lost"))
    window.session.set_dataset(dataset)
    table = window.objects_panel.table
    widths = _shown_widths(table)
    # No confidence, source or track in this dataset: those columns hide.
    assert sorted(widths) == [0, 1, 5]
    assert widths[0] + widths[1] <= table.viewport().width()
    assert widths[1] > table.fontMetrics().horizontalAdvance("rotated box")
    assert widths[0] > table.fontMetrics().horizontalAdvance("polygon")
    model = window.objects_panel.model
    shapes = [model.data(model.index(row, 1)) for row in range(model.rowCount())]
    assert "rotated box" in shapes
    assert shapes[-1] == "(no shape)"

    scored = shapes_dataset()
    scored.items[0].objects[0].confidence = 0.5
    scored.items[0].objects[0].source = "model"
    window.session.set_dataset(scored)
    widths = _shown_widths(table)
    assert sorted(widths) == [0, 1, 2, 3, 5]
    assert sum(widths[c] for c in (0, 1, 2, 3)) <= table.viewport().width()


def test_legend_writes_shapes_as_words(window) -> None:
    dataset = shapes_dataset()
    dataset.categories["rotated"].shape = "rotated_box"
    window.session.set_dataset(dataset)
    assert window.legend_panel.row("rotated").text(3) == "rotated box"


def test_issue_file_column_is_capped_so_the_message_stays_readable(window) -> None:
    from labelview.gui.panels.issues import CAPS

    window.session.set_dataset(shapes_dataset())
    long_name = "norlab-droneSegmentation_2024_segmentation-bitmap_species-8th-export.release.json"
    window.session.issues.append(Issue(long_name, "dataset.samples", "none found", item="shapes"))
    window.session.issues_changed.emit()
    table = window.issues_panel.table
    assert table.columnWidth(1) == CAPS[1]
    assert table.columnWidth(3) > table.columnWidth(1)
    # The item column names the item as the Items panel does (ids are often UUIDs).
    model = window.issues_panel.model
    assert model.data(model.index(0, 4)) == "shapes.png"
    assert "item id shapes" in model.data(model.index(0, 4), Qt.ItemDataRole.ToolTipRole)


def test_classification_columns_stay_inside_the_panel(window) -> None:
    dataset = shapes_dataset()
    dataset.items[0].classifications[1].value = ["a very long answer text " * 6]
    window.session.set_dataset(dataset)
    tree = window.classifications_panel.tree
    assert tree.columnWidth(0) + tree.columnWidth(1) <= tree.viewport().width() - 60
    # A section title with answers spans the row, so "Object: person (person)" is not cut.
    window.session.select(dataset.items[0].objects[-1])
    section = tree.topLevelItem(tree.topLevelItemCount() - 1)
    assert section.text(0) == "Object: person (person)"
    assert section.isFirstColumnSpanned()


def test_legend_names_the_shapes_an_export_holds_without_an_ontology(window) -> None:
    dataset = Dataset(
        categories={"bird": Category(name="bird")},
        items=[
            Item(
                id="a",
                name="a.jpg",
                width=20,
                height=10,
                objects=[
                    ObjectLabel("bird", Polygon.from_points([[1, 1], [5, 1], [3, 4]])),
                    ObjectLabel("bird", Box(1, 1, 4, 3)),
                    ObjectLabel("bird", Box(2, 2, 4, 3)),
                ],
            ),
        ],
    )
    window.session.set_dataset(dataset)
    row = window.legend_panel.row("bird")
    assert row.text(3) == "polygon, box"
    assert row.text(2) == "3"
