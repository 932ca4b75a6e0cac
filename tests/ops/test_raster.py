"""labelview.ops.raster: mask tracing along pixel edges, and rasterising every geometry kind."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pycocotools import mask as coco_mask

from labelview.model import (
    Box,
    Ellipse,
    Keypoints,
    Mask,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
)
from labelview.model.geometry import ArrayMask
from labelview.ops import rle
from labelview.ops.raster import (
    drop_collinear,
    mask_to_polygons,
    polygon_area,
    rasterise,
    rasterise_polygon,
)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    union = (a | b).sum()
    return float((a & b).sum() / union) if union else 1.0


def _blobs(seed: int, height: int, width: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:height, :width]
    mask = np.zeros((height, width), dtype=bool)
    for _ in range(5):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        rx, ry = rng.uniform(2, width / 3), rng.uniform(2, height / 3)
        mask ^= ((x + 0.5 - cx) / rx) ** 2 + ((y + 0.5 - cy) / ry) ** 2 < 1
    return mask | (rng.random((height, width)) < 0.02)


def test_rectangle_is_traced_exactly() -> None:
    mask = np.zeros((6, 7), dtype=bool)
    mask[1:4, 2:6] = True
    (part,) = mask_to_polygons(mask)
    # Pixel edges, clockwise on screen from the top-left corner, corners only.
    assert part.outer.tolist() == [[2, 1], [6, 1], [6, 4], [2, 4]]
    assert part.holes == ()
    assert np.array_equal(rasterise_polygon(Polygon((part,)), 6, 7), mask)


def test_hole_belongs_to_its_outer_ring() -> None:
    mask = np.zeros((8, 9), dtype=bool)
    mask[1:7, 1:8] = True
    mask[3:5, 3:5] = False
    mask[0, 8] = True  # a separate one-pixel part in the corner
    parts = mask_to_polygons(mask)
    assert len(parts) == 2
    big = next(part for part in parts if part.holes)
    assert big.outer.tolist() == [[1, 1], [8, 1], [8, 7], [1, 7]]
    (hole,) = big.holes
    assert sorted(map(tuple, hole.tolist())) == [(3, 3), (3, 5), (5, 3), (5, 5)]
    assert np.array_equal(rasterise_polygon(Polygon(tuple(parts)), 8, 9), mask)


def test_nested_island_in_a_hole_is_its_own_part() -> None:
    mask = np.zeros((9, 9), dtype=bool)
    mask[0:9, 0:9] = True
    mask[2:7, 2:7] = False
    mask[4, 4] = True
    parts = mask_to_polygons(mask)
    assert sorted(len(part.holes) for part in parts) == [0, 1]
    island = next(part for part in parts if not part.holes)
    assert island.outer.tolist() == [[4, 4], [5, 4], [5, 5], [4, 5]]
    assert np.array_equal(rasterise_polygon(Polygon(tuple(parts)), 9, 9), mask)


def test_diagonal_pixels_are_separate_parts() -> None:
    mask = np.zeros((4, 4), dtype=bool)
    mask[1, 1] = mask[2, 2] = True
    parts = mask_to_polygons(mask)
    assert sorted(part.outer.tolist() for part in parts) == [
        [[1, 1], [2, 1], [2, 2], [1, 2]],
        [[2, 2], [3, 2], [3, 3], [2, 3]],
    ]


def test_empty_mask_has_no_parts() -> None:
    assert mask_to_polygons(np.zeros((3, 3), dtype=bool)) == []
    with pytest.raises(ValueError, match="2-D"):
        mask_to_polygons(np.zeros(3, dtype=bool))


@pytest.mark.parametrize("seed", range(8))
def test_random_blobs_round_trip_through_pycocotools(seed: int) -> None:
    mask = _blobs(seed, 48, 64)
    parts = mask_to_polygons(mask)
    back = rasterise_polygon(Polygon(tuple(parts)), 48, 64)
    assert _iou(back, mask) >= 0.98
    assert all(part.outer.shape[1] == 2 for part in parts)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 9).flatmap(
        lambda h: st.integers(1, 9).flatmap(lambda w: arrays(np.bool_, (h, w)))
    )
)
def test_any_mask_traces_back_to_itself(mask: np.ndarray) -> None:
    parts = mask_to_polygons(mask)
    height, width = mask.shape
    if not mask.any():
        assert parts == []
        return
    assert _iou(rasterise_polygon(Polygon(tuple(parts)), height, width), mask) >= 0.98
    for part in parts:
        # No collinear vertices: every vertex turns.
        ring = part.outer
        before, after = np.roll(ring, 1, axis=0), np.roll(ring, -1, axis=0)
        cross = (ring - before)[:, 0] * (after - ring)[:, 1] - (ring - before)[:, 1] * (
            after - ring
        )[:, 0]
        assert (cross != 0).all()


def test_drop_collinear() -> None:
    ring = np.array([[0, 0], [1, 0], [2, 0], [3, 0], [3, 2], [3, 3], [0, 3], [0, 1]], float)
    assert drop_collinear(ring).tolist() == [[0, 0], [3, 0], [3, 3], [0, 3]]
    wobbly = np.array([[0, 0], [5, 0.05], [10, 0], [10, 10], [0, 10]], float)
    assert len(drop_collinear(wobbly)) == 5
    assert drop_collinear(wobbly, tolerance=0.1).tolist() == [[0, 0], [10, 0], [10, 10], [0, 10]]
    triangle = np.array([[0, 0], [4, 0], [0, 3]], float)
    assert drop_collinear(triangle).tolist() == triangle.tolist()


def test_rasterise_box_and_rotated_box() -> None:
    box = rasterise(Box(1, 2, 3, 2), 6, 7)
    expected = np.zeros((6, 7), dtype=bool)
    expected[2:4, 1:4] = True
    assert np.array_equal(box, expected)
    # A quarter turn about the centre swaps the box's width and height.
    turned = rasterise(RotatedBox(3.5, 3.0, 4.0, 2.0, 90.0), 6, 7)
    expected = np.zeros((6, 7), dtype=bool)
    expected[1:5, 3:5] = True
    assert np.array_equal(turned, expected)


def test_rasterise_polygon_with_hole_and_area() -> None:
    outer = [[0, 0], [6, 0], [6, 5], [0, 5]]
    polygon = Polygon.from_points(outer, [[[2, 1], [4, 1], [4, 3], [2, 3]]])
    mask = rasterise(polygon, 5, 6)
    assert int(mask.sum()) == 30 - 4
    assert not mask[1:3, 2:4].any()
    assert polygon_area(polygon, 5, 6) == 26
    triangle = Polygon.from_points([[0.3, 0.2], [7.6, 1.4], [2.2, 6.9]])
    flat = triangle.parts[0].outer.ravel().tolist()
    expected = coco_mask.area(coco_mask.frPyObjects([flat], 8, 8)[0])
    assert polygon_area(triangle, 8, 8) == expected
    assert int(rasterise(triangle, 8, 8).sum()) == expected


def test_rasterise_ellipse_and_mask() -> None:
    ellipse = rasterise(Ellipse(10.0, 6.0, 8.0, 4.0), 12, 20)
    assert ellipse[6, 10]
    assert not ellipse[6, 1]
    assert ellipse[6, 3]
    assert not ellipse[1, 10]
    area = int(ellipse.sum())
    assert abs(area - np.pi * 8 * 4) < 6
    pixels = np.zeros((3, 4), dtype=bool)
    pixels[0, 3] = True
    assert np.array_equal(rasterise(Mask(3, 4, ArrayMask(pixels)), 3, 4), pixels)
    pasted = rasterise(Mask(3, 4, ArrayMask(pixels)), 2, 5)  # other size: cropped and padded
    assert pasted.shape == (2, 5)
    assert pasted[0, 3]
    assert int(pasted.sum()) == 1
    encoded = rle.encode_coco(pixels)
    assert rle.decode_coco(encoded)[0, 3]


@pytest.mark.parametrize(
    "geometry",
    [
        Polyline.from_points([[0, 0], [2, 2]]),
        Point(1.0, 1.0),
        Keypoints.from_lists([[1, 1]], [2]),
    ],
)
def test_shapes_without_area_cannot_be_rasterised(geometry: object) -> None:
    with pytest.raises(ValueError, match="no area"):
        rasterise(geometry, 4, 4)
