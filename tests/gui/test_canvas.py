"""The canvas draws every shape where it belongs, picks real shapes and follows frames."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import (
    BLUE,
    CYAN,
    GREEN,
    MAGENTA,
    ORANGE,
    PURPLE,
    RED,
    YELLOW,
    asymmetric_image,
    click,
    near,
    pixel,
    shapes_dataset,
    video_dataset,
)

from labelview.gui.canvas.layers import rings_path

GREY = (92, 92, 92)  # the placeholder shown for a missing image


@pytest.fixture
def solid(window):
    """The shapes dataset with opaque fills and no text tags (clean pixels)."""
    window.canvas.set_show_text(False)
    window.canvas.set_opacity(1.0)
    window.session.set_dataset(shapes_dataset())
    window.canvas.fit()
    return window.canvas


def test_image_is_neither_flipped_nor_transposed(window, tmp_path: Path) -> None:
    dataset = shapes_dataset()
    item = dataset.items[0]
    item.objects = []
    item.image_path = asymmetric_image(tmp_path / "asym.png")
    window.session.set_dataset(dataset)
    canvas = window.canvas
    assert canvas.image_found
    assert canvas.image_size == (200, 100)
    assert near(pixel(canvas, 10, 10), RED)
    for x, y in ((190, 10), (10, 90), (190, 90), (60, 10), (10, 30)):
        assert near(pixel(canvas, x, y), (90, 90, 90)), (x, y)


@pytest.mark.parametrize(
    ("x", "y", "rgb"),
    [
        (25, 12, RED),  # box at the top-left only
        (30, 85, GREEN),  # rotated box: 40×16 turned upright, so it reaches y=85
        (65, 10, BLUE),  # polygon body
        (100, 80, YELLOW),  # polyline
        (150, 30, MAGENTA),  # ellipse centre
        (185, 90, CYAN),  # mask pixel
        (190, 8, ORANGE),  # point
        (40, 40, PURPLE),  # visible keypoint
    ],
)
def test_every_shape_kind_is_drawn(solid, x: float, y: float, rgb) -> None:
    assert near(pixel(solid, x, y), rgb), (x, y, pixel(solid, x, y).getRgb())


@pytest.mark.parametrize(
    ("x", "y"),
    [
        (90, 30),  # the polygon's hole
        (175, 20),  # right of the box, below the point: empty
        (48, 70),  # the rotated box's unrotated extent, outside the rotated shape
        (160, 36),  # the ellipse's bounding box corner, outside the curve
        (156, 74),  # left of the mask, inside nothing
        (20, 45),  # an absent keypoint is not drawn
    ],
)
def test_empty_places_show_the_placeholder(solid, x: float, y: float) -> None:
    assert near(pixel(solid, x, y), GREY, tolerance=12), (x, y, pixel(solid, x, y).getRgb())


def test_missing_image_placeholder_has_item_size_and_caption(solid) -> None:
    assert not solid.image_found
    assert solid.image_size == (200, 100)
    assert "shapes.png" in solid.placeholder_text.textItem.toPlainText()


def test_hidden_category_is_not_drawn(solid, window) -> None:
    assert near(pixel(solid, 25, 12), RED)
    window.legend_panel.row("box").setCheckState(
        0, window.legend_panel.row("box").checkState(0).__class__.Unchecked
    )
    assert "box" in window.session.hidden
    assert near(pixel(solid, 25, 12), GREY, tolerance=12)


def test_click_in_polygon_hole_does_not_select_it(qtbot, solid, window) -> None:
    session = window.session
    click(qtbot, solid, 90, 30)
    assert session.selected is None
    click(qtbot, solid, 65, 10)
    assert session.selected is not None
    assert session.selected.id == "polygon"
    click(qtbot, solid, 90, 30)
    assert session.selected is None


def test_click_on_line_and_keypoint(qtbot, solid, window) -> None:
    click(qtbot, solid, 100, 80.3)
    assert window.session.selected.id == "line"
    click(qtbot, solid, 40, 40)
    assert window.session.selected.id == "person"


def test_selection_syncs_between_canvas_and_objects_panel(qtbot, solid, window) -> None:
    panel = window.objects_panel
    click(qtbot, solid, 25, 12)
    assert window.session.selected.id == "box"
    assert panel.model.objects[panel.selected_row()].id == "box"
    assert not solid.selected_item.path().isEmpty()
    # And back: a click on the row of the ellipse selects it on the canvas.
    row = next(i for i, obj in enumerate(panel.model.objects) if obj.id == "ellipse")
    rect = panel.table.visualRect(panel.model.index(row, 0))
    qtbot.mouseClick(panel.table.viewport(), qtbot_left(), pos=rect.center())
    assert window.session.selected.id == "ellipse"
    assert solid.selected_item.path().boundingRect().center().x() == pytest.approx(150, abs=0.5)


def qtbot_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_frame_navigation_moves_the_drawn_box(window) -> None:
    window.canvas.set_show_text(False)
    window.canvas.set_opacity(1.0)
    window.session.set_dataset(video_dataset())
    canvas = window.canvas
    assert window.frame_bar.isVisible()
    assert near(pixel(canvas, 25, 25), RED)
    assert near(pixel(canvas, 85, 25), GREY, tolerance=12)
    window.session.step_frame(1)
    assert window.session.frame == 1
    assert window.frame_bar.label.text() == "2 / 3"
    assert near(pixel(canvas, 85, 25), RED)
    assert near(pixel(canvas, 25, 25), GREY, tolerance=12)
    window.frame_bar.spin.setValue(2)
    assert near(pixel(canvas, 145, 25), RED)
    assert [obj.id for obj in window.objects_panel.model.objects] == ["car-2"]


def test_rings_are_oriented_so_holes_stay_holes() -> None:
    outer = [[0, 0], [10, 0], [10, 10], [0, 10]]
    hole_same_direction = [[3, 3], [7, 3], [7, 7], [3, 7]]
    import numpy as np
    from PySide6.QtCore import QPointF

    path = rings_path([np.array(outer, float), np.array(hole_same_direction, float)], [False, True])
    assert path.contains(QPointF(1, 1))
    assert not path.contains(QPointF(5, 5))
    # Two overlapping outer rings (two objects of one class) stay filled where they overlap.
    overlap = rings_path([np.array(outer, float), np.array(outer, float) + 5], [False, False])
    assert overlap.contains(QPointF(7, 7))


def test_many_shapes_fill_through_one_image_layer(window) -> None:
    from labelview.model import Box, Dataset, Item, ObjectLabel, Polygon

    dataset = Dataset(format="test")
    dataset.category("box", color=RED)
    dataset.category("polygon", color=BLUE)
    objects = [
        ObjectLabel("box", Box(150 + (k % 50), 80 + (k // 50) % 20, 0.5, 0.5)) for k in range(3200)
    ]
    objects.append(
        ObjectLabel(
            "polygon",
            Polygon.from_points(
                [[10, 10], [90, 10], [90, 70], [10, 70]],
                holes=[[[40, 30], [60, 30], [60, 50], [40, 50]]],
            ),
        )
    )
    dataset.items.append(Item(id="many", name="many.png", width=200, height=100, objects=objects))
    window.canvas.set_show_text(False)
    window.canvas.set_opacity(1.0)
    window.session.set_dataset(dataset)
    canvas = window.canvas
    from labelview.gui.canvas.layers import FillLayer

    assert sum(isinstance(g, FillLayer) for g in canvas.overlay.items) == 1
    assert near(pixel(canvas, 20, 20), BLUE)
    assert near(pixel(canvas, 50, 40), GREY, tolerance=12)  # the hole stays a hole
    assert near(pixel(canvas, 20, 90), GREY, tolerance=12)


def test_hover_highlights_the_shape_under_the_mouse(qtbot, solid) -> None:
    from PySide6.QtCore import QPointF

    scene = solid.view.mapViewToScene(QPointF(150, 30))
    qtbot.mouseMove(solid.viewport(), pos=solid.mapFromScene(scene))
    assert solid.hovered is not None
    assert solid.hovered.id == "ellipse"
    assert solid.hover_item.path().boundingRect().width() == pytest.approx(24, abs=0.5)


def test_opacity_slider_sets_the_fill(window, solid) -> None:
    window.opacity_slider.setValue(0)
    assert near(pixel(solid, 25, 12), GREY, tolerance=12)  # inside the box: no fill left
    window.opacity_slider.setValue(100)
    assert near(pixel(solid, 25, 12), RED)


def test_tags_leave_out_the_confidence_of_hand_drawn_objects() -> None:
    from labelview.gui.canvas.layers import label_texts
    from labelview.model import Box, ObjectLabel

    objects = [
        ObjectLabel("car", Box(0, 0, 5, 5), confidence=1.0, source="manual"),
        ObjectLabel("car", Box(0, 0, 5, 5), confidence=1.0, source="model"),
        ObjectLabel("car", Box(0, 0, 5, 5), confidence=0.5),
        ObjectLabel("car", Box(0, 0, 5, 5), confidence=1.0),
        ObjectLabel("car", Box(0, 0, 5, 5)),
    ]
    _anchors, texts, _colors = label_texts(objects, {})
    assert texts == ["car", "car 1.00", "car 0.50", "car", "car"]


def test_tag_text_is_dark_on_pale_colours_and_white_on_dark_ones() -> None:
    from PySide6.QtGui import QColor

    from labelview.gui.canvas.layers import ink_for

    assert ink_for(QColor(255, 215, 0)).name() == "#000000"  # yellow
    assert ink_for(QColor(240, 240, 240)).name() == "#000000"
    assert ink_for(QColor(31, 60, 140)).name() == "#ffffff"  # dark blue
    assert ink_for(QColor(150, 30, 30)).name() == "#ffffff"


def test_line_tag_sits_on_the_topmost_vertex() -> None:
    from labelview.gui.canvas.layers import anchor_of
    from labelview.model import Box, Polyline

    # A diagonal lane: the corner of its extent, (10, 20), is empty space.
    assert anchor_of(Polyline.from_points([[10, 90], [60, 50], [120, 20]])) == (120.0, 20.0)
    assert anchor_of(Box(3, 4, 10, 10)) == (3.0, 4.0)


def test_tags_sharing_a_corner_stack_instead_of_covering_each_other() -> None:
    import numpy as np

    from labelview.gui.canvas.layers import place_tags

    anchors = np.array([[10.0, 50.0], [10.0, 50.0], [200.0, 50.0], [12.0, 50.0]])
    placed = place_tags(anchors, [40, 40, 40, 40], 15)
    # First on top of its shape, the second just inside it, a far tag untouched, a third
    # one more row down.
    assert placed == [(10.0, 35.0), (10.0, 50.0), (200.0, 35.0), (12.0, 65.0)]


def test_missing_image_caption_sits_above_the_placeholder_in_view(solid) -> None:
    from labelview.gui.canvas.layers import Z_POINT, Z_TEXT

    caption = solid.placeholder_text
    assert caption.isVisible()
    assert (caption.pos().x(), caption.pos().y()) == (0.0, 0.0)
    assert Z_POINT < caption.zValue() < Z_TEXT
    # It ends where the placeholder starts (covering no shape), and fit() leaves room for it.
    corner = solid.view.mapViewToScene(caption.pos())
    box = caption.sceneBoundingRect()
    assert box.bottom() == pytest.approx(corner.y(), abs=1)
    assert box.left() == pytest.approx(corner.x(), abs=1)
    assert solid.view.sceneBoundingRect().contains(box)


def test_caption_hides_when_the_image_is_found(window, tmp_path: Path) -> None:
    dataset = shapes_dataset()
    dataset.items[0].image_path = asymmetric_image(tmp_path / "asym.png")
    window.session.set_dataset(dataset)
    assert window.canvas.image_found
    assert not window.canvas.placeholder_text.isVisible()


def test_tag_of_a_shape_at_the_top_of_the_view_goes_inside_it() -> None:
    import numpy as np

    from labelview.gui.canvas.layers import place_tags

    anchors = np.array([[10.0, 5.0], [100.0, 40.0], [10.0, 5.0]])
    # Above y=0 it would be cut off: it moves below the anchor; the others are unaffected.
    assert place_tags(anchors, [40, 40, 40], 15) == [(10.0, 5.0), (100.0, 25.0), (10.0, 20.0)]


def test_tag_bounds_cover_the_text_drawn_beside_the_anchors(window) -> None:
    window.session.set_dataset(shapes_dataset())
    labels = window.canvas.labels
    pixel_x, pixel_y = window.canvas.view.viewPixelSize()
    bounds = labels.boundingRect()
    _x0, y0 = labels.anchors.min(axis=0)
    x1, _y1 = labels.anchors.max(axis=0)
    # Qt repaints only inside bounding rects: the tag row above the topmost anchor and the text
    # right of the rightmost one must be inside, at the current zoom.
    assert bounds.top() < y0 - 10 * pixel_y
    assert bounds.right() > x1 + 30 * pixel_x
    window.canvas.zoom(0.5)
    window.canvas.viewport().grab()  # the view applies a zoom when it next paints
    assert labels.boundingRect().height() < bounds.height()  # zoomed in: fewer image units


def _rgb(image):
    """An image's pixels as an (h, w, 3) array."""
    image = image.convertToFormat(image.Format.Format_RGB888)
    row = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
    return row[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def _many_boxes_and_a_holed_polygon(window):
    from labelview.model import Box, Dataset, Item, ObjectLabel, Polygon

    dataset = Dataset(format="test")
    dataset.category("box", color=RED)
    dataset.category("polygon", color=BLUE)
    objects = [
        ObjectLabel("box", Box(150 + (k % 50), 80 + (k // 50) % 20, 0.5, 0.5)) for k in range(3200)
    ]
    holed = Polygon.from_points(
        [[10, 10], [90, 10], [90, 70], [10, 70]], holes=[[[40, 30], [60, 30], [60, 50], [40, 50]]]
    )
    objects.append(ObjectLabel("polygon", holed))
    dataset.items.append(Item(id="many", name="many.png", width=200, height=100, objects=objects))
    window.canvas.set_show_text(False)
    window.session.set_dataset(dataset)
    return window.canvas


def test_panned_outlines_from_the_cache_match_a_direct_drawing(window) -> None:
    from labelview.gui.canvas.layers import OutlineLayer

    canvas = _many_boxes_and_a_holed_polygon(window)
    (layer,) = [g for g in canvas.overlay.items if isinstance(g, OutlineLayer)]
    canvas.viewport().grab()  # a new scale draws directly, the next frame fills the cache
    canvas.view.translateBy((7, 3))
    canvas.viewport().grab()
    canvas.view.translateBy((-11, 5))
    blits = layer.blits
    cached = canvas.viewport().grab().toImage()
    assert layer.blits == blits + 1  # the pan was served by the cache
    layer._linear = None  # forget the scale: the next frame draws the paths directly
    direct = canvas.viewport().grab().toImage()
    assert layer.blits == blits + 1
    a, b = _rgb(cached), _rgb(direct)
    drawn = int((b != b[0, 0]).any(axis=2).sum())  # pixels not background
    assert drawn > 1000
    # The cache is blitted at a whole-pixel offset: the same picture, outlines moved by under a
    # pixel (3,200 one-pixel boxes round differently, the fill layer does not move).
    inner = (slice(2, -2), slice(2, -2))
    differ = min(
        int((np.roll(a, (dy, dx), axis=(0, 1))[inner] != b[inner]).any(axis=2).sum())
        for dy in (-1, 0, 1)
        for dx in (-1, 0, 1)
    )
    assert differ < drawn * 0.05
    # The hole's outline is drawn where it belongs, inside an unfilled hole.
    assert near(pixel(canvas, 50, 40), GREY, tolerance=12)


def test_tags_wait_while_the_view_moves_and_return_at_rest(qtbot, window) -> None:
    window.session.set_dataset(shapes_dataset())
    canvas = window.canvas
    canvas.fit()
    labels = canvas.labels
    assert not labels.moving
    at_rest = canvas.viewport().grab().toImage()
    canvas.zoom(1.0)  # a zoom step (by nothing): the same view, without tags
    assert labels.moving
    moving = canvas.viewport().grab().toImage()
    changed = sum(
        at_rest.pixelColor(x, y) != moving.pixelColor(x, y)
        for y in range(0, at_rest.height(), 2)
        for x in range(0, at_rest.width(), 2)
    )
    assert changed > 50  # the tags' pixels
    qtbot.waitUntil(lambda: not labels.moving, timeout=2000)
    back = canvas.viewport().grab().toImage()
    assert back == at_rest
    # A drag says so through the view's manual-change signal; fit() ends a gesture at once.
    canvas.view.sigRangeChangedManually.emit([True, True])
    assert labels.moving
    canvas.fit()
    assert not labels.moving


def test_empty_emphasis_markers_are_hidden(window) -> None:
    window.session.set_dataset(shapes_dataset())
    assert not window.canvas.hover_markers.isVisible()
    assert not window.canvas.selected_markers.isVisible()
