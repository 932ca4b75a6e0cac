"""labelview.ops.rle against pycocotools and the worked examples of formats/encord.md §5.3."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pycocotools import mask as coco_mask

from labelview.ops import rle

# 0110 / 0110 / 0001 by rows: asymmetric, so row-major and column-major runs differ.
ASYMMETRIC = np.array([[0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]], dtype=bool)

masks = st.integers(1, 12).flatmap(
    lambda h: st.integers(1, 12).flatmap(lambda w: arrays(np.bool_, (h, w)))
)


def _pycoco(mask: np.ndarray) -> dict:
    return coco_mask.encode(np.asfortranarray(mask.astype(np.uint8)))


# --- the string codec ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("string", "counts"),
    [
        ("12202O", [1, 2, 2, 2, 4, 1]),
        ("32102O", [3, 2, 1, 2, 3, 1]),
        ("02220N:0F20N", [0, 2, 2, 4, 2, 2, 12, 2, 2, 4, 2, 2]),
        ("`[T2n0bZT2", [70000, 30, 69970]),
        (":b15aN", [10, 50, 5, 3]),
        ("?", [15]),
        ("`0", [16]),
        ("@", [-16]),
        ("", []),
    ],
)
def test_string_codec_worked_examples(string: str, counts: list[int]) -> None:
    assert rle.string_to_counts(string) == counts
    assert rle.counts_to_string(counts) == string


def test_encord_and_coco_strings_of_the_same_mask_differ_by_order() -> None:
    assert rle.encode_row_major(ASYMMETRIC) == "12202O"
    assert rle.encode_coco(ASYMMETRIC)["counts"] == "32102O"
    assert _pycoco(ASYMMETRIC)["counts"].decode() == "32102O"
    assert np.array_equal(rle.decode_row_major("12202O", 3, 4), ASYMMETRIC)
    assert np.array_equal(rle.decode_coco({"size": [3, 4], "counts": "32102O"}), ASYMMETRIC)
    # Read as COCO, Encord's string gives another (transposed, garbled) mask.
    assert not np.array_equal(rle.decode_coco({"size": [3, 4], "counts": "12202O"}), ASYMMETRIC)


def test_corner_squares_example() -> None:
    decoded = rle.decode_row_major("02220N:0F20N", 6, 6)
    expected = np.zeros((6, 6), dtype=bool)
    for y, x in ((0, 0), (0, 4), (4, 0), (4, 4)):
        expected[y : y + 2, x : x + 2] = True
    assert np.array_equal(decoded, expected)


def test_truncated_string_is_an_error() -> None:
    # '`' carries the continuation bit: the string ends in the middle of a number.
    with pytest.raises(rle.RleError, match="truncated"):
        rle.string_to_counts("`[T")
    with pytest.raises(rle.RleError, match="truncated"):
        rle.decode_coco({"size": [3, 4], "counts": "3210`"})


def test_invalid_character_is_an_error() -> None:
    with pytest.raises(rle.RleError, match="invalid RLE character"):
        rle.string_to_counts("12 3")


@given(st.lists(st.integers(0, 10**7), max_size=30))
def test_string_codec_round_trip(counts: list[int]) -> None:
    assert rle.string_to_counts(rle.counts_to_string(counts)) == counts


# --- COCO RLE ------------------------------------------------------------------------------------


def test_uncompressed_and_compressed_spec_example() -> None:
    # targets.md §1: a 4×5 mask with a 3×2 block.
    mask = np.zeros((4, 5), dtype=bool)
    mask[1:3, 1:4] = True
    assert rle.uncompressed_counts(mask) == [5, 2, 2, 2, 2, 2, 5]
    compressed = rle.compress({"size": [4, 5], "counts": [5, 2, 2, 2, 2, 2, 5]})
    assert compressed == {"size": [4, 5], "counts": "5220003"}
    assert rle.encode_coco(mask)["counts"] == "5220003"
    assert np.array_equal(rle.decode_coco({"size": [4, 5], "counts": [5, 2, 2, 2, 2, 2, 5]}), mask)


def test_runs_that_do_not_add_up_are_an_error() -> None:
    with pytest.raises(rle.RleError, match=r"RLE runs sum to 11, expected height·width = 12"):
        rle.compress({"size": [3, 4], "counts": [3, 2, 6]})
    with pytest.raises(rle.RleError, match="sum to 13"):
        rle.decode_coco({"size": [3, 4], "counts": rle.counts_to_string([3, 2, 8])})


def test_negative_run_and_bad_size_are_errors() -> None:
    with pytest.raises(rle.RleError, match="negative"):
        rle.compress({"size": [3, 4], "counts": [14, -2]})
    with pytest.raises(rle.RleError, match="size"):
        rle.compress({"size": [3], "counts": [3]})
    with pytest.raises(rle.RleError, match="counts"):
        rle.compress({"size": [3, 4], "counts": {"a": 1}})


@settings(max_examples=60, deadline=None)
@given(masks)
def test_coco_round_trip_matches_pycocotools(mask: np.ndarray) -> None:
    ours = rle.encode_coco(mask)
    theirs = _pycoco(mask)
    assert ours["counts"] == theirs["counts"].decode("ascii")
    assert ours["size"] == [mask.shape[0], mask.shape[1]]
    assert np.array_equal(rle.decode_coco(ours), mask)
    uncompressed = {"size": ours["size"], "counts": rle.uncompressed_counts(mask)}
    assert rle.compress(uncompressed) == ours
    assert np.array_equal(rle.decode_coco(uncompressed), mask)
    # Area and bbox straight from the runs, without decoding, agree with pycocotools.
    assert rle.area(ours) == int(coco_mask.area(theirs)) == int(mask.sum())
    assert rle.bbox(uncompressed) == tuple(float(v) for v in coco_mask.toBbox(theirs))


@settings(max_examples=60, deadline=None)
@given(masks)
def test_row_major_round_trip(mask: np.ndarray) -> None:
    string = rle.encode_row_major(mask)
    height, width = mask.shape
    assert np.array_equal(rle.decode_row_major(string, height, width), mask)
    assert rle.row_major_area(string) == int(mask.sum())
    assert rle.row_major_to_coco(string, height, width) == rle.encode_coco(mask)


def test_short_row_major_runs_are_padded_with_background() -> None:
    # Runs [1, 2] cover 3 of 12 pixels; the rest is background.
    decoded = rle.decode_row_major(rle.counts_to_string([1, 2]), 3, 4)
    expected = np.zeros((3, 4), dtype=bool)
    expected[0, 1:3] = True
    assert np.array_equal(decoded, expected)
    # Ending on a background run: that run is extended.
    decoded = rle.decode_row_major(rle.counts_to_string([1, 2, 1]), 3, 4)
    assert np.array_equal(decoded, expected)
    assert not rle.decode_row_major("", 2, 2).any()


def test_too_long_row_major_runs_are_an_error() -> None:
    with pytest.raises(rle.RleError, match="more than height·width = 12"):
        rle.decode_row_major(rle.counts_to_string([5, 10]), 3, 4)


def test_area_and_bbox_of_an_offset_block() -> None:
    mask = np.zeros((7, 9), dtype=bool)
    mask[2:5, 3:8] = True
    encoded = rle.encode_coco(mask)
    assert rle.area(encoded) == 15
    assert rle.bbox(encoded) == (3.0, 2.0, 5.0, 3.0)
    assert rle.bbox({"size": [2, 2], "counts": [4]}) == (0.0, 0.0, 0.0, 0.0)


def test_polygon_rasterisation_matches_the_spec() -> None:
    # targets.md §1: [1,1,4,1,4,3,1,3] rasterises to exactly 6 pixels with bbox [1,1,3,2].
    ring = np.array([[1, 1], [4, 1], [4, 3], [1, 3]], dtype=np.float64)
    encoded = rle.rings_to_rle([ring], 5, 6)
    assert rle.area(encoded) == 6
    assert rle.bbox(encoded) == (1.0, 1.0, 3.0, 2.0)
    hole = np.array([[2, 1], [3, 1], [3, 2], [2, 2]], dtype=np.float64)
    mask = rle.polygon_to_mask([(ring, [hole])], 5, 6)
    assert int(mask.sum()) == 5
    assert not mask[1, 2]
