"""Rings are clipped to the image before pycocotools sizes its buffers by their extent."""

from __future__ import annotations

import numpy as np

from labelview.ops import rle


def test_a_ring_inside_the_image_is_untouched() -> None:
    inside = np.array([[1.0, 1.0], [7.0, 1.0], [7.0, 5.0], [1.0, 5.0]])
    assert np.array_equal(rle.clip_ring(inside, 6, 8), inside)


def test_clipping_keeps_the_pixels_inside_the_image() -> None:
    crossing = np.array([[1.0, 1.0], [1e6, 1.0], [1.0, 1e6]])
    whole = rle.decode_coco(rle.rings_to_rle([crossing], 6, 8))
    assert whole[1:, 1:].all()  # everything right of and below (1, 1)
    assert not whole[0].any()


def test_a_thin_sliver_crossing_the_image_keeps_its_slope() -> None:
    """Clamping vertices would tilt the edge inside the image; clipping must not."""
    far = np.array([[0.0, 0.0], [1e6, 2e5], [0.0, 2.0]])  # its first edge is y = 0.2 x
    sliver = rle.clip_ring(far, 6, 8)
    assert sliver[:, 0].max() <= 9.0
    assert np.isclose(sliver[1, 1] / sliver[1, 0], 0.2)  # still on the line y = 0.2 x


def test_a_ring_that_is_not_finite_comes_back_empty() -> None:
    ring = np.array([[0.0, 0.0], [np.nan, 1.0], [2.0, 2.0]])
    assert rle.clip_ring(ring, 6, 8).size == 0
    assert rle.clipped_flat([ring], 6, 8) == []
