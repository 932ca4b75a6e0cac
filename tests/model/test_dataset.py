"""Dataset and Item helpers, and nested answers (flatten / walk)."""

from __future__ import annotations

from labelview.model import Answer, Box, Dataset, Frame, Item, ObjectLabel, Point
from labelview.model.classifications import flatten, from_flat, walk


def _dataset() -> Dataset:
    dataset = Dataset()
    dataset.category("car", color=(1, 2, 3))
    dataset.items = [
        Item(
            id="a",
            name="a.jpg",
            width=10,
            height=20,
            objects=[ObjectLabel("car", Box(0, 0, 1, 1)), ObjectLabel("car", Point(1, 1))],
        ),
        Item(
            id="v",
            name="clip.mp4",
            kind="video",
            frames=[Frame(index=0, width=4, height=3), Frame(index=2)],
            objects=[
                ObjectLabel("person", Box(0, 0, 1, 1), frame=0),
                ObjectLabel("person", Box(0, 0, 1, 1), frame=5),
                ObjectLabel("sign", None),
            ],
        ),
    ]
    return dataset


def test_category_is_created_once() -> None:
    dataset = Dataset()
    first = dataset.category("car", color=(1, 2, 3))
    again = dataset.category("car", color=(9, 9, 9))
    assert first is again
    assert again.color == (1, 2, 3)
    assert list(dataset.categories) == ["car"]


def test_objects_counts_and_kinds() -> None:
    dataset = _dataset()
    assert dataset.object_count == 5
    assert [item.id for item, _ in dataset.objects()] == ["a", "a", "v", "v", "v"]
    counts = dataset.counts()
    assert counts["category"] == {"car": 2, "person": 2, "sign": 1}
    assert counts["kind"] == {"box": 3, "point": 1, "none": 1}


def test_size_of_frames_fall_back_to_the_item() -> None:
    image, video = _dataset().items
    assert image.size_of() == (10, 20)
    assert image.size_of(3) == (10, 20)
    assert video.size_of(0) == (4, 3)
    assert video.size_of(2) is None  # neither the frame nor the item knows
    assert video.size_of() is None


def test_objects_on_frame_and_frame_indices() -> None:
    video = _dataset().items[1]
    assert [obj.frame for obj in video.objects_on(0)] == [0, None]
    assert [obj.frame for obj in video.objects_on(5)] == [5, None]
    assert len(video.objects_on(None)) == 3
    assert video.frame_indices() == [0, 2, 5]


def test_walk_and_flatten_nested_answers() -> None:
    answers = [
        Answer("weather", "rain", children=[Answer("intensity", "heavy")]),
        Answer("tags", ["a", "b"]),
        Answer("light", "day", frames=(0, 4)),
        Answer("group", None, children=[Answer("leaf", 1)]),
    ]
    assert [path for path, _ in walk(answers)] == [
        "weather",
        "weather/intensity",
        "tags",
        "light",
        "group",
        "group/leaf",
    ]
    assert flatten(answers) == {
        "weather": "rain",
        "weather/intensity": "heavy",
        "tags": ["a", "b"],
        "light": "day",
        "group/leaf": 1,
    }
    assert "light" not in flatten(answers, frame=7)
    # Answers nested under a frame-limited answer hold on its frames only.
    nested = [Answer("light", "day", frames=(0, 4), children=[Answer("sun", "low")])]
    assert flatten(nested, frame=7) == {}
    assert flatten(nested, frame=2) == {"light": "day", "light/sun": "low"}
    assert flatten(answers, frame=4)["light"] == "day"
    assert [(a.name, a.value) for a in from_flat({"x": 1, "y": True})] == [("x", 1), ("y", True)]
