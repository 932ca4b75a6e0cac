"""labelview.verify: each kind of change is found, and nothing else."""

from __future__ import annotations

import copy

import numpy as np

from labelview.formats._writing import EXACT, Holds
from labelview.model import Answer, Box, Dataset, Item, Keypoints, ObjectLabel, Polygon
from labelview.verify import verify

HOLDS = Holds(
    shapes={"box": EXACT, "polygon": EXACT, "keypoints": EXACT, "polyline": "written as its box"},
    fields=frozenset({"attributes", "confidence", "object id", "track"}),
)


def _dataset() -> Dataset:
    item = Item(id="a", name="img/a.jpg", image="img/a.jpg", width=100, height=80)
    item.objects = [
        ObjectLabel(
            "cat",
            Box(10, 10, 20, 20),
            "1",
            confidence=0.5,
            track="t1",
            attributes=[Answer("colour", "red")],
        ),
        ObjectLabel("dog", Polygon.from_points([[50, 10], [90, 10], [70, 60]]), "2", track="t1"),
        ObjectLabel("cat", Keypoints.from_lists([[5, 5], [6, 7]], [2, 0]), "3"),
    ]
    return Dataset(items=[item])


def _written(dataset: Dataset) -> Dataset:
    """The same dataset as a writer would give back: another folder, ids and order kept."""
    back = copy.deepcopy(dataset)
    back.items[0].image = "images/train/img/a.png"
    back.items[0].objects.reverse()
    return back


def test_an_unchanged_output_has_no_findings() -> None:
    dataset = _dataset()
    assert verify(dataset, _written(dataset), HOLDS) == []


def test_a_restarted_or_reversed_ring_is_the_same_polygon() -> None:
    dataset = _dataset()
    back = _written(dataset)
    polygon = next(o for o in back.items[0].objects if o.id == "2")
    polygon.geometry = Polygon.from_points([[70, 60], [90, 10], [50, 10]])
    assert verify(dataset, back, HOLDS) == []


def test_each_change_is_named_with_the_source_id() -> None:
    dataset = _dataset()
    back = _written(dataset)
    by_id = {o.id: o for o in back.items[0].objects}
    by_id["1"].geometry = Box(12, 10, 20, 20)
    by_id["1"].confidence = 0.7
    by_id["2"].category = "cat"
    by_id["3"].geometry = Keypoints.from_lists([[5, 5], [6, 7]], [2, 1])
    found = {(f.object, f.what) for f in verify(dataset, back, HOLDS)}
    assert found == {("1", "moved"), ("1", "field changed"), ("2", "class changed"), ("3", "moved")}


def test_missing_and_extra_objects_and_images() -> None:
    dataset = _dataset()
    back = _written(dataset)
    back.items[0].objects = [o for o in back.items[0].objects if o.id != "3"]
    back.items[0].objects.append(ObjectLabel("cow", Box(0, 60, 10, 10), "9"))
    other = Item(id="b", name="b.jpg", image="b.jpg", width=10, height=10)
    other.objects = [ObjectLabel("cat", Box(1, 1, 2, 2), "5")]
    dataset.items.append(other)
    found = sorted((f.image, f.object or "", f.what) for f in verify(dataset, back, HOLDS))
    assert found == [
        ("b.jpg", "", "image missing"),
        ("img/a.jpg", "", "extra"),
        ("img/a.jpg", "3", "missing"),
    ]


def test_tracks_may_be_renumbered_but_not_split() -> None:
    dataset = _dataset()
    back = _written(dataset)
    by_id = {o.id: o for o in back.items[0].objects}
    by_id["1"].track = by_id["2"].track = "7"
    assert verify(dataset, back, HOLDS) == []
    by_id["2"].track = "8"
    assert [(f.object, f.what) for f in verify(dataset, back, HOLDS)] == [("2", "field changed")]


def test_fields_a_target_does_not_hold_are_not_findings() -> None:
    dataset = _dataset()
    back = _written(dataset)
    for obj in back.items[0].objects:
        obj.confidence, obj.attributes, obj.track, obj.id = None, [], None, None
    holds = Holds(shapes=HOLDS.shapes, fields=frozenset())
    assert verify(dataset, back, holds) == []


def test_a_converted_shape_must_keep_its_extent() -> None:
    from labelview.model import Polyline

    dataset = _dataset()
    dataset.items[0].objects.append(ObjectLabel("road", Polyline(np.array([[0.0, 70], [40, 75]]))))
    back = _written(dataset)
    road = next(o for o in back.items[0].objects if o.category == "road")
    road.geometry = Box(0, 70, 40, 5)
    assert verify(dataset, back, HOLDS) == []
    road.geometry = Box(0, 70, 30, 5)
    assert [f.what for f in verify(dataset, back, HOLDS)] == ["moved"]
