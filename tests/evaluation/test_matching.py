"""Matching two exports: TP / FP / FN per image and class, wrong class, worst images first."""

from __future__ import annotations

import numpy as np

from labelview.evaluation import evaluate
from labelview.model import Box, Dataset, Item, ObjectLabel, Polygon


def dataset(items: list[Item]) -> Dataset:
    return Dataset(items=items)


def _totals(result) -> tuple[int, int, int]:
    return result.totals.tp, result.totals.fp, result.totals.fn


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
    result = evaluate(truth, predictions, iou=0.5)
    assert _totals(result) == (2, 2, 2)
    worst = result.worst()
    assert len(worst) == 1  # b.jpg agrees
    assert worst[0].pair.name == "imgs/a.jpg"
    m = worst[0].matches
    assert {o.id for o in m.false_positives} == {"p2"}
    assert {o.id for o in m.false_negatives} == {"t3"}
    # p3 lies on t2 with another class: one wrong class (an FP of person, an FN of car)
    assert [(r.id, c.id) for r, c, _ in m.wrong_class] == [("t2", "p3")]
    assert [(r.id, c.id) for r, c, _ in m.true_positives] == [("t1", "p1")]

    strict = evaluate(truth, predictions, iou=0.95)
    assert _totals(strict) == (1, 3, 3)  # only the exact b.jpg box survives


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
    assert _totals(evaluate(truth, solid, iou=0.5)) == (0, 1, 1)
    assert _totals(evaluate(truth, solid, iou=0.4)) == (1, 0, 0)


def test_items_only_on_one_side() -> None:
    truth = dataset([Item(id="a", name="a.png", objects=[ObjectLabel("c", Box(0, 0, 5, 5))])])
    other = dataset([Item(id="z", name="z.png", objects=[ObjectLabel("c", Box(0, 0, 5, 5))])])
    result = evaluate(truth, other)
    assert _totals(result) == (0, 1, 1)
    assert len(result.pictures) == 2
