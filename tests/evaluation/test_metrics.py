"""Per-class counts, wrong class, confusion matrix and crowd handling, counted by hand."""

from __future__ import annotations

import numpy as np
import pytest

from labelview.evaluation import BACKGROUND, evaluate
from labelview.model import Box, Dataset, Item, ObjectLabel, Polygon


def _dataset(objects_by_image: dict[str, list[ObjectLabel]]) -> Dataset:
    dataset = Dataset(format="coco")
    for n, (name, objects) in enumerate(objects_by_image.items()):
        dataset.items.append(Item(id=str(n), name=name, width=100, height=80, objects=objects))
        for obj in objects:
            dataset.category(obj.category)
    return dataset


def _box(category: str, x: float, y: float, w: float = 20, h: float = 20, score=None, **extra):
    return ObjectLabel(category, Box(x, y, w, h), confidence=score, extra=extra or None)


@pytest.fixture
def pair() -> tuple[Dataset, Dataset]:
    """Image a: a cat found, a dog called a cat, a bird missed.
    Image b: a cat found twice (the second is an extra), a dog found with a low score.
    Image c: a crowd of cats with a detection inside, and an extra dog far away.
    """
    reference = _dataset(
        {
            "a.jpg": [_box("cat", 0, 0), _box("dog", 40, 0), _box("bird", 70, 50)],
            "b.jpg": [_box("cat", 0, 0), _box("dog", 50, 50)],
            "c.jpg": [_box("cat", 0, 0, 60, 60, iscrowd=1)],
        }
    )
    candidate = _dataset(
        {
            "a.jpg": [_box("cat", 1, 1, score=0.9), _box("cat", 41, 0, score=0.8)],
            "b.jpg": [
                _box("cat", 0, 0, score=0.95),
                _box("cat", 1, 0, score=0.7),
                _box("dog", 50, 51, score=0.2),
            ],
            "c.jpg": [_box("cat", 10, 10, score=0.6), _box("dog", 75, 55, score=0.5)],
        }
    )
    return reference, candidate


def test_per_class_counts_at_a_threshold(pair) -> None:
    result = evaluate(*pair, iou=0.5, score=0.3)
    rows = {name: (r.tp, r.fp, r.fn) for name, r in result.rows.items()}
    # cat: a and b found (2 TP); the dog called a cat and b's duplicate are FP; the crowd hit is
    # neither. dog: a's dog called a cat and b's low-score dog are FN; c's far dog is FP.
    assert rows == {"cat": (2, 2, 0), "dog": (0, 1, 2), "bird": (0, 0, 1)}
    assert result.wrong_class == 1
    cat = result.rows["cat"]
    assert cat.precision == pytest.approx(0.5)
    assert cat.recall == pytest.approx(1.0)
    assert cat.f1 == pytest.approx(2 / 3)
    assert result.totals.tp == 2


def test_the_threshold_moves_counts(pair) -> None:
    low = evaluate(*pair, iou=0.5, score=0.0)
    assert (low.rows["dog"].tp, low.rows["dog"].fn) == (1, 1)  # b's dog (score 0.2) now found
    high = evaluate(*pair, iou=0.5, score=0.85)
    assert (high.rows["cat"].tp, high.rows["cat"].fp) == (2, 0)


def test_confusion_matrix_has_a_background_row_and_column(pair) -> None:
    result = evaluate(*pair, iou=0.5, score=0.3)
    labels = [*result.classes, BACKGROUND]
    assert labels == ["cat", "dog", "bird", BACKGROUND]
    expected = np.array(
        [
            # cand: cat dog bird bg
            [2, 0, 0, 0],  # ref cat
            [1, 0, 0, 1],  # ref dog: one called a cat, one missed
            [0, 0, 0, 1],  # ref bird: missed
            [1, 1, 0, 0],  # background: b's duplicate cat, c's far dog
        ]
    )
    np.testing.assert_array_equal(result.confusion, expected)


def test_worst_images_come_first(pair) -> None:
    result = evaluate(*pair, iou=0.5, score=0.3)
    worst = [(p.pair.name, p.errors) for p in result.worst()]
    assert worst == [("a.jpg", 2), ("b.jpg", 2), ("c.jpg", 1)]


def test_a_relabelled_object_is_one_wrong_class_not_a_miss_and_an_extra() -> None:
    reference = _dataset({"a.jpg": [_box("cat", 0, 0)]})
    candidate = _dataset({"a.jpg": [_box("dog", 0, 0, score=0.9)]})
    result = evaluate(reference, candidate)
    assert result.wrong_class == 1
    assert result.confusion[0, 1] == 1  # reference cat, candidate dog
    assert result.confusion[-1].sum() == 0
    assert result.confusion[:, -1].sum() == 0


def test_polygons_with_holes_are_compared_by_their_pixels() -> None:
    ring = [(10, 10), (60, 10), (60, 60), (10, 60)]
    hole = [(20, 20), (50, 20), (50, 50), (20, 50)]
    holed = Polygon.from_points(ring, [hole])
    reference = _dataset({"a.jpg": [ObjectLabel("frame", holed)]})
    # The same outline without the hole: same box, but 900 of 2500 pixels are not the frame's.
    candidate = _dataset({"a.jpg": [ObjectLabel("frame", Polygon.from_points(ring), confidence=1)]})
    strict = evaluate(reference, candidate, iou=0.7)
    assert strict.totals.tp == 0
    loose = evaluate(reference, candidate, iou=0.6)
    assert loose.totals.tp == 1
    ((_, _, iou),) = loose.pictures[0].matches.true_positives
    assert iou == pytest.approx(1600 / 2500, abs=0.02)
