"""Geometry conventions: rotation sign, corners, holes, ellipses, keypoints, lazy mask area/bbox."""

from __future__ import annotations

import numpy as np
import pytest

from labelview.model import (
    ArrayMask,
    Box,
    CocoRle,
    Ellipse,
    Keypoints,
    Mask,
    Point,
    Polygon,
    Polyline,
    RotatedBox,
    RowMajorRle,
)
from labelview.ops import rle


def test_box_from_corners_normalises_and_lists_corners_clockwise() -> None:
    box = Box.from_corners(5, 6, 1, 2)
    assert (box.x, box.y, box.w, box.h) == (1, 2, 4, 4)
    assert box.corners().tolist() == [[1, 2], [5, 2], [5, 6], [1, 6]]
    assert box.area == 16
    assert box.bounds() == (1, 2, 5, 6)


def test_rotated_box_zero_angle_is_the_plain_box() -> None:
    box = RotatedBox(10, 10, 4, 2, 0)
    assert box.corners().tolist() == [[8, 9], [12, 9], [12, 11], [8, 11]]


def test_rotated_box_positive_angle_turns_clockwise_on_screen() -> None:
    # y points down: a clockwise quarter turn takes the point right of the centre to below it.
    corners = RotatedBox(10, 10, 4, 2, 90).corners()
    np.testing.assert_allclose(corners, [[11, 8], [11, 12], [9, 12], [9, 8]], atol=1e-12)
    right_mid = (corners[1] + corners[2]) / 2  # the unrotated right edge's midpoint
    np.testing.assert_allclose(right_mid, [10, 12], atol=1e-12)
    # A negative angle goes the other way (counter-clockwise on screen).
    np.testing.assert_allclose(RotatedBox(10, 10, 4, 2, -90).corners()[0], [9, 12], atol=1e-12)


def test_rotated_box_30_degrees_and_bounds() -> None:
    box = RotatedBox(0, 0, 2, 0, 30)
    first = box.corners()[0]  # (-1, 0) rotated 30° clockwise on screen: up and left
    np.testing.assert_allclose(first, [-np.cos(np.pi / 6), -0.5], atol=1e-12)
    x0, y0, x1, y1 = RotatedBox(5, 5, 2, 2, 45).bounds()
    half = np.sqrt(2)
    np.testing.assert_allclose([x0, y0, x1, y1], [5 - half, 5 - half, 5 + half, 5 + half])


def test_rotated_box_from_corners_round_trips() -> None:
    original = RotatedBox.from_top_left(3, 4, 6, 2, 25)
    assert (original.cx, original.cy) == (6, 5)
    fitted = RotatedBox.from_corners(original.corners())
    np.testing.assert_allclose(
        [fitted.cx, fitted.cy, fitted.w, fitted.h, fitted.angle], [6, 5, 6, 2, 25]
    )
    with pytest.raises(ValueError, match="4 corners"):
        RotatedBox.from_corners([[0, 0], [1, 0], [1, 1]])


def test_polygon_holes_rings_and_closing_point() -> None:
    polygon = Polygon.from_points(
        [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], holes=[[[2, 2], [4, 2], [4, 4]]]
    )
    assert polygon.has_holes
    assert len(polygon.parts[0].outer) == 4  # the repeated closing point is dropped
    assert [len(ring) for ring in polygon.rings()] == [4, 3]
    assert polygon.bounds() == (0, 0, 10, 10)
    union = Polygon.from_rings([[[0, 0], [1, 0], [1, 1]], [[5, 5], [6, 5], [6, 7]]])
    assert len(union.parts) == 2
    assert not union.has_holes
    assert union.bounds() == (0, 0, 6, 7)


@pytest.mark.parametrize(
    "points",
    [[[0, 0], [1, 1]], [0, 0, 1, 1, 2], [[0, 0], [1, float("nan")], [2, 2]], [[[0, 0]]]],
)
def test_bad_polygons_raise(points: object) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - every message differs
        Polygon.from_points(points)


def test_polygon_hole_must_be_a_ring() -> None:
    with pytest.raises(ValueError, match="2 points"):
        Polygon.from_points([[0, 0], [4, 0], [4, 4]], holes=[[[1, 1], [2, 2]]])
    with pytest.raises(ValueError, match="no rings"):
        Polygon.from_rings([])


def test_polyline_and_point() -> None:
    line = Polyline.from_points([1, 2, 3, 4])
    assert line.points.tolist() == [[1, 2], [3, 4]]
    assert line.bounds() == (1, 2, 3, 4)
    with pytest.raises(ValueError, match="1 points"):
        Polyline.from_points([[1, 2]])
    assert Point(3, 4).bounds() == (3, 4, 3, 4)


def test_ellipse_rotation_and_bounds() -> None:
    upright = Ellipse(5, 5, 3, 1, 90)  # long axis turned vertical
    x0, y0, x1, y1 = upright.bounds()
    np.testing.assert_allclose([x0, y0, x1, y1], [4, 2, 6, 8], atol=1e-12)
    # At 45° the extent is exact (sqrt((rx² + ry²) / 2)), not that of a sampled outline.
    half = np.sqrt((9 + 1) / 2)
    np.testing.assert_allclose(Ellipse(0, 0, 3, 1, 45).bounds(), [-half, -half, half, half])
    outline = Ellipse(2, 1, 3, 1, 30).to_points(4096)
    np.testing.assert_allclose(
        Ellipse(2, 1, 3, 1, 30).bounds(),
        [*outline.min(axis=0), *outline.max(axis=0)],
        atol=1e-5,
    )
    points = Ellipse(0, 0, 2, 1, 0).to_points(4)
    np.testing.assert_allclose(points, [[2, 0], [0, 1], [-2, 0], [0, -1]], atol=1e-12)
    # 90° clockwise on screen takes the +x end of the long axis to +y (down).
    np.testing.assert_allclose(Ellipse(0, 0, 2, 1, 90).to_points(4)[0], [0, 2], atol=1e-12)
    assert len(upright.to_polygon(16).parts[0].outer) == 16


def test_keypoints_validation_and_bounds() -> None:
    kp = Keypoints.from_lists([[1, 2], [0, 0], [5, 9]], [2, 0, 1], ["a", "b", "c"])
    assert kp.labelled.tolist() == [True, False, True]
    assert kp.bounds() == (1, 2, 5, 9)  # the absent (0, 0) point does not count
    assert Keypoints.from_lists([], []).bounds() == (0, 0, 0, 0)
    with pytest.raises(ValueError, match="visibility flags"):
        Keypoints.from_lists([[1, 2]], [2, 2])
    with pytest.raises(ValueError, match="0, 1 or 2"):
        Keypoints.from_lists([[1, 2]], [3])
    with pytest.raises(ValueError, match="names"):
        Keypoints.from_lists([[1, 2]], [2], ["a", "b"])


def _asymmetric() -> np.ndarray:
    pixels = np.zeros((5, 7), dtype=bool)
    pixels[1, 2:6] = True
    pixels[2:4, 2] = True
    return pixels


@pytest.fixture
def no_decode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any decode fail, to prove area and bbox come from the encoding."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("decoded")

    monkeypatch.setattr(rle, "decode_coco", refuse)
    monkeypatch.setattr(rle, "decode_row_major", refuse)
    monkeypatch.setattr(rle.coco_mask, "decode", refuse)


def test_coco_rle_area_and_bbox_without_decoding(no_decode: None) -> None:
    counts = rle.uncompressed_counts(_asymmetric())
    for source in (CocoRle(counts), CocoRle(rle.counts_to_string(counts))):
        mask = Mask(5, 7, source)
        assert mask.area == 6
        assert mask.bbox() == (2, 1, 4, 3)
        assert mask.bounds() == (2, 1, 6, 4)


def test_row_major_rle_area_and_bbox_without_decoding(no_decode: None) -> None:
    mask = Mask(5, 7, RowMajorRle(rle.encode_row_major(_asymmetric())))
    assert mask.area == 6
    assert mask.bbox() == (2, 1, 4, 3)
    # A run that wraps over a row break spans the full width.
    wrap = np.zeros((3, 4), dtype=bool)
    wrap[0, 3] = wrap[1, 0] = True
    assert Mask(3, 4, RowMajorRle(rle.encode_row_major(wrap))).bbox() == (0, 0, 4, 2)
    assert Mask(3, 4, RowMajorRle("")).bbox() == (0, 0, 0, 0)


def test_row_major_and_coco_decode_to_the_same_pixels() -> None:
    pixels = _asymmetric()
    row_major = Mask(5, 7, RowMajorRle(rle.encode_row_major(pixels)))
    coco = Mask(5, 7, CocoRle(rle.uncompressed_counts(pixels)))
    assert np.array_equal(row_major.decode(), pixels)
    assert np.array_equal(coco.decode(), pixels)
    assert row_major.to_coco_rle() == coco.to_coco_rle()


def test_array_mask_area_and_bbox() -> None:
    mask = Mask(5, 7, ArrayMask(_asymmetric()))
    assert mask.area == 6
    assert mask.bbox() == (2, 1, 4, 3)
