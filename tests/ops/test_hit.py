"""Picking on the real shape: holes, rotation, ellipses, line and point tolerance, mask pixels."""

from __future__ import annotations

import numpy as np
import pytest

from labelview.model import (
    ArrayMask,
    Box,
    Ellipse,
    Keypoints,
    Mask,
    Point,
    Polygon,
    PolygonPart,
    Polyline,
    RotatedBox,
)
from labelview.ops import hit

SQUARE_WITH_HOLE = Polygon.from_points(
    [[0, 0], [10, 0], [10, 10], [0, 10]], holes=[[[3, 3], [7, 3], [7, 7], [3, 7]]]
)


@pytest.mark.parametrize(
    ("x", "y", "inside"),
    [(1, 1, True), (5, 5, False), (3.5, 6.5, False), (8.5, 5, True), (11, 5, False)],
)
def test_polygon_hole_is_outside(x: float, y: float, inside: bool) -> None:
    assert hit.contains(SQUARE_WITH_HOLE, x, y) is inside


def test_multi_part_polygon_is_a_union() -> None:
    polygon = Polygon.from_rings([[[0, 0], [4, 0], [4, 4], [0, 4]], [[10, 0], [14, 0], [14, 4]]])
    assert hit.contains(polygon, 2, 2)
    assert hit.contains(polygon, 13, 1)
    assert not hit.contains(polygon, 7, 2)
    # A non-convex (L-shaped) part: the notch is outside although inside the bounding box.
    ell = Polygon((PolygonPart(np.array([[0, 0], [2, 0], [2, 8], [8, 8], [8, 10], [0, 10]])),))
    assert hit.contains(ell, 1, 5)
    assert not hit.contains(ell, 5, 5)


def test_box_edges_count_as_inside() -> None:
    box = Box(10, 20, 30, 40)
    assert hit.contains(box, 10, 20)
    assert hit.contains(box, 40, 60)
    assert not hit.contains(box, 41, 30)


def test_rotated_box_uses_its_rotation() -> None:
    # 40×4 bar centred on (50, 50), turned 90° clockwise: it now stands vertical.
    bar = RotatedBox(50, 50, 40, 4, 90)
    assert hit.contains(bar, 50, 30.5)
    assert not hit.contains(bar, 65, 50)  # inside the unrotated bar, outside the rotated one


def test_rotated_box_at_45_degrees_excludes_bbox_corners() -> None:
    diamond = RotatedBox(0, 0, 10, 10, 45)
    assert hit.contains(diamond, 0, 6.9)
    assert not hit.contains(diamond, 6, 6)  # in the bounding box, off the diamond


def test_ellipse_with_rotation() -> None:
    ellipse = Ellipse(0, 0, 10, 2, 90)  # long axis vertical after a 90° turn
    assert hit.contains(ellipse, 0, 9)
    assert not hit.contains(ellipse, 9, 0)
    assert not hit.contains(Ellipse(0, 0, 10, 2), 7.5, 1.5)  # inside the bbox, outside the curve


def test_lines_and_points_need_tolerance() -> None:
    line = Polyline.from_points([[0, 0], [10, 0], [10, 10]])
    assert hit.contains(line, 5, 0.8, tolerance=1)
    assert hit.contains(line, 10.9, 5, tolerance=1)
    assert not hit.contains(line, 5, 5, tolerance=1)  # inside the bend, far from both segments
    assert hit.contains(Point(3, 4), 3.5, 4, tolerance=1)
    assert not hit.contains(Point(3, 4), 5, 4, tolerance=1)


def test_absent_keypoints_are_not_pickable() -> None:
    keypoints = Keypoints.from_lists([[0, 0], [20, 20]], [0, 2])
    assert not hit.contains(keypoints, 0, 0, tolerance=2)
    assert hit.contains(keypoints, 21, 20, tolerance=2)


def test_mask_uses_pixels_not_its_box() -> None:
    pixels = np.zeros((10, 10), dtype=bool)
    pixels[0, 0] = pixels[9, 9] = True
    mask = Mask(10, 10, ArrayMask(pixels))
    decoded = mask.decode()
    assert hit.contains(mask, 0.5, 0.5, mask_pixels=lambda m: decoded)
    assert hit.contains(mask, 9.2, 9.9, mask_pixels=lambda m: decoded)
    assert not hit.contains(mask, 5, 5, mask_pixels=lambda m: decoded)


def test_pick_prefers_the_smaller_shape_and_skips_holes() -> None:
    big = Box(0, 0, 100, 100)
    geometries = [big, SQUARE_WITH_HOLE, None]
    assert hit.pick(geometries, 1, 1) == 1
    assert hit.pick(geometries, 5, 5) == 0  # the hole shows the box beneath
    assert hit.pick(geometries, 200, 200) is None
    assert hit.pick([], 0, 0) is None


def test_pick_with_precomputed_bounds_matches() -> None:
    rng = np.random.default_rng(7)
    geometries = [Box(*rng.uniform(0, 90, 2), *rng.uniform(1, 20, 2)) for _ in range(200)]
    bounds = hit.bounds_array(geometries)
    for x, y in rng.uniform(0, 100, (50, 2)):
        assert hit.pick(geometries, x, y, bounds=bounds) == hit.pick(geometries, x, y)
    assert np.isnan(hit.bounds_array([None])).all()
