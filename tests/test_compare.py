"""Compare two exports: TP / FP / FN per item and category, worst items first."""

from __future__ import annotations

import numpy as np

from labelview.compare import compare
from labelview.model import Box, Dataset, Item, ObjectLabel, Polygon


def dataset(items: list[Item]) -> Dataset:
    return Dataset(items=items)


def test_hand_made_pair_counts_tp_fp_fn() -> None:
    truth = dataset(
        [
            Item(
                id="a",
                name="imgs/a.jpg",
                width=100,
                height=80,
                objects=[
                    ObjectLabel("car", Box(10, 10, 20, 20), id="t1"),
                    ObjectLabel("car", Box(60, 10, 20, 20), id="t2"),
                    ObjectLabel("person", Box(10, 50, 10, 20), id="t3"),
                ],
            ),
            Item(
                id="b",
                name="b.jpg",
                width=100,
                height=80,
                objects=[
                    ObjectLabel("car", Box(0, 0, 10, 10), id="t4"),
                ],
            ),
        ]
    )
    predictions = dataset(
        [
            Item(
                id="x",
                name="A.JPG",
                width=100,
                height=80,
                objects=[
                    ObjectLabel("car", Box(11, 11, 20, 20), id="p1", confidence=0.9),  # TP with t1
                    ObjectLabel(
                        "car", Box(12, 12, 20, 20), id="p2", confidence=0.8
                    ),  # duplicate: FP
                    ObjectLabel(
                        "person", Box(60, 10, 20, 20), id="p3", confidence=0.7
                    ),  # wrong class: FP
                ],
            ),
            Item(
                id="y",
                name="b.jpg",
                width=100,
                height=80,
                objects=[
                    ObjectLabel("car", Box(0, 0, 10, 10), id="p4", confidence=0.5),
                ],
            ),
        ]
    )
    result = compare(truth, predictions, threshold=0.5)
    assert result.totals == {"tp": 2, "fp": 2, "fn": 2}
    worst = result.worst_first()
    assert worst[0].name == "imgs/a.jpg"
    assert {o.id for o in worst[0].false_positives} == {"p2", "p3"}
    assert {o.id for o in worst[0].false_negatives} == {"t2", "t3"}
    assert [(r.id, c.id) for r, c, _ in worst[0].true_positives] == [("t1", "p1")]
    assert worst[1].disagreement == 0

    strict = compare(truth, predictions, threshold=0.95)
    assert strict.totals == {"tp": 1, "fp": 3, "fn": 3}  # only the exact b.jpg box survives


def test_polygon_hole_counts_in_iou() -> None:
    ring = np.array([[0, 0], [40, 0], [40, 40], [0, 40]], dtype=float)
    hole = np.array([[5, 5], [35, 5], [35, 35], [5, 35]], dtype=float)
    truth = dataset(
        [
            Item(
                id="a",
                name="a.png",
                width=50,
                height=50,
                objects=[
                    ObjectLabel("ring", Polygon.from_points(ring, [hole]), id="t"),
                ],
            )
        ]
    )
    solid = dataset(
        [
            Item(
                id="a",
                name="a.png",
                width=50,
                height=50,
                objects=[
                    ObjectLabel("ring", Polygon.from_points(ring), id="p"),
                ],
            )
        ]
    )
    # The ring covers 1600 - 900 = 700 px of the 1600-px solid square: IoU 0.4375 < 0.5.
    assert compare(truth, solid, threshold=0.5).totals == {"tp": 0, "fp": 1, "fn": 1}
    assert compare(truth, solid, threshold=0.4).totals == {"tp": 1, "fp": 0, "fn": 0}


def test_items_only_on_one_side() -> None:
    truth = dataset([Item(id="a", name="a.png", objects=[ObjectLabel("c", Box(0, 0, 5, 5))])])
    other = dataset([Item(id="z", name="z.png", objects=[ObjectLabel("c", Box(0, 0, 5, 5))])])
    result = compare(truth, other)
    assert result.totals == {"tp": 0, "fp": 1, "fn": 1}
    assert len(result.items) == 2
