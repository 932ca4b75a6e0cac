"""Frame-aware pairing: a video and its per-frame images pair frame by frame."""

from __future__ import annotations

from pathlib import Path

import pytest

from labelview import formats
from labelview.convert import convert
from labelview.evaluation import evaluate, pair
from labelview.model import Box, Dataset, Frame, Item, ObjectLabel

DEMO = Path(__file__).resolve().parents[2] / "labelview" / "demo" / "demo_export.json"


def _video(name: str = "drive.mp4") -> Dataset:
    dataset = Dataset(format="encord")
    dataset.category("car")
    item = Item(id="v", name=name, kind="video", width=64, height=48)
    item.frames = [Frame(index=i) for i in range(3)]
    item.objects = [
        ObjectLabel("car", Box(4 + 5 * i, 4, 10, 8), frame=i, track="t1") for i in range(3)
    ]
    dataset.items.append(item)
    return dataset


def _frames(names: list[str]) -> Dataset:
    dataset = Dataset(format="coco")
    dataset.category("car")
    for i, name in enumerate(names):
        obj = ObjectLabel("car", Box(4 + 5 * i, 4, 10, 8), confidence=0.9)
        dataset.items.append(Item(id=str(i), name=name, width=64, height=48, objects=[obj]))
    return dataset


@pytest.mark.parametrize(
    "names",
    [
        ["drive/000000.jpg", "drive/000001.jpg", "drive/000002.jpg"],  # our writers' names
        ["frames/drive/0.png", "frames/drive/1.png", "frames/drive/2.png"],  # another layout
    ],
)
def test_a_video_pairs_with_its_frames(names) -> None:
    pairs = pair(_video(), _frames(names))
    assert [(p.reference is not None, p.candidate is not None) for p in pairs] == [(True, True)] * 3
    result = evaluate(_video(), _frames(names))
    assert (result.totals.tp, result.totals.fp, result.totals.fn) == (3, 0, 0)


def test_frames_in_a_different_order_pair_by_number() -> None:
    result = evaluate(_video(), _frames(["drive/2.jpg", "drive/0.jpg", "drive/1.jpg"][::-1]))
    # names say 1, 0, 2 while boxes were made for positions 0, 1, 2: frames 0 and 1 are swapped
    assert result.totals.tp == 1


def test_same_file_names_in_two_folders_are_not_confused() -> None:
    reference = _frames(["a/0001.jpg", "b/0001.jpg"])
    candidate = _frames(["x/0001.jpg", "y/0001.jpg"])
    pairs = pair(reference, candidate)
    assert all(p.reference is None or p.candidate is None for p in pairs)
    assert len(pairs) == 4


def test_the_demo_against_its_own_coco_conversion_is_perfect(tmp_path) -> None:
    convert(DEMO, tmp_path / "coco", "coco")
    reference = formats.read(DEMO)
    candidate = formats.read(tmp_path / "coco" / "annotations.json")
    assert any(item.kind == "video" for item in reference.items)
    result = evaluate(reference, candidate)
    assert result.totals.fp == result.totals.fn == 0
    assert result.totals.precision == result.totals.recall == 1.0
    assert result.ap.stats["AP"] == pytest.approx(1.0)


@pytest.mark.samples
@pytest.mark.parametrize(
    "name",
    [
        "encord-sdk_video_bbox-point.json",
        "hafnia_midwest-vehicle-detection_video_bbox-polygon.json",
    ],
)
def test_a_real_encord_video_against_its_coco_conversion(samples, name, tmp_path) -> None:
    source = samples / "encord" / name
    convert(source, tmp_path / "coco", "coco")
    reference = formats.read(source)
    candidate = formats.read(tmp_path / "coco" / "annotations.json")
    assert any(item.frames for item in reference.items)
    result = evaluate(reference, candidate)
    assert result.totals.tp == reference.object_count
    assert (result.totals.fp, result.totals.fn) == (0, 0)
