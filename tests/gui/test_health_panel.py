"""The Statistics dock's Health section: the planted defects listed, a click jumps there."""

from __future__ import annotations

from labelview.model import Box, Dataset, Item, ObjectLabel


def _defective() -> Dataset:
    dataset = Dataset(format="test")
    dataset.category("car")
    dataset.items = [
        Item(
            id="a",
            name="a.png",
            width=100,
            height=80,
            objects=[
                ObjectLabel("car", Box(10, 10, 20, 20), id="ok"),
            ],
        ),
        Item(
            id="b",
            name="b.png",
            width=100,
            height=80,
            objects=[
                ObjectLabel("car", Box(300, 300, 5, 5), id="far"),  # wholly outside: an error
                ObjectLabel("car", Box(10, 10, 20, 20), id="first"),
                ObjectLabel("car", Box(10, 10, 20, 20.2), id="again"),  # a duplicate
            ],
        ),
    ]
    return dataset


def test_check_health_lists_findings_and_jumps_to_the_object(qtbot, window) -> None:
    window.session.set_dataset(_defective())
    dock = window.docks["Statistics"]
    dock.show()
    dock.raise_()
    qtbot.waitUntil(dock.isVisible)
    panel = window.review_tools.stats.health
    assert panel.summary.text() == "Not checked yet."
    panel.run(wait=True)
    rows = [(f.level, f.rule, f.object) for f in panel.model.rows]
    assert ("error", "outside-image", "far") in rows
    assert ("warning", "duplicate", "again") in rows
    assert rows[0][0] == "error"  # errors first
    assert panel.summary.text() == "1 error, 3 warnings, 0 info"  # + the two missing images
    duplicate = next(i for i, f in enumerate(panel.model.rows) if f.rule == "duplicate")
    panel.table.selectRow(duplicate)
    assert window.session.item_index == 1
    assert window.session.selected is not None
    assert window.session.selected.id == "again"
    window.session.set_dataset(_defective())  # a new export: old findings go
    qtbot.waitUntil(lambda: panel.model.rowCount() == 0)
