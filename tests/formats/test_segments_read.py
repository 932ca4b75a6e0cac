"""Segments.ai release reader: generations, labelsets, bitmaps, vectors, sequences, file lookup."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from segments_support import IDS, SEGMENTS, by_id, read, write_rgba

from labelview import formats
from labelview.errors import FormatError
from labelview.formats import segments
from labelview.formats.base import Confidence, Probe, ReadContext
from labelview.formats.segments import bitmaps as segments_bitmaps
from labelview.model import Box, Mask, Point, Polygon, Polyline

# --- detection ------------------------------------------------------------------------------------


def test_detects_every_generation(data: Path) -> None:
    for name in (
        "bitmap_release.json",
        "vector_release.json",
        "sequence_release.json",
        "legacy_2020_release.json",
        "legacy_2021_release.json",
    ):
        verdict = segments.detect(Probe.of(data / "segments" / name))
        assert verdict.confidence >= Confidence.LIKELY, (name, verdict.reason)


def test_does_not_claim_other_formats_files(data: Path) -> None:
    others = [p for p in data.rglob("*") if p.is_file() and "segments" not in p.parts]
    assert others  # at least the DataGym fixtures
    for path in others:
        verdict = segments.detect(Probe.of(path))
        assert verdict.confidence <= Confidence.WEAK, (path, verdict.reason)


def test_registered_and_detected_by_the_registry(data: Path) -> None:
    assert formats.detect(data / "segments" / "vector_release.json").name == SEGMENTS


# --- segmentation bitmaps -------------------------------------------------------------------------


def test_bitmap_instances_decode_to_exact_pixel_counts(bitmap_release: Path) -> None:
    dataset, issues = read(bitmap_release)
    item = dataset.items[0]
    objects = by_id(item)
    counts = {ident: int(objects[ident].geometry.decode().sum()) for ident in ("1", "2", "70000")}
    assert counts == {"1": 6, "2": 8, "70000": 5}
    mask = objects["70000"].geometry
    assert isinstance(mask, Mask)
    assert (mask.height, mask.width) == (6, 8)
    assert mask.decode()[0, 6]
    assert mask.decode()[5, 0]
    assert not mask.decode()[1, 1]
    assert mask.bbox() == (0.0, 0.0, 8.0, 6.0)
    assert objects["1"].category == "road"  # category id 0 is a real class, not background
    assert objects["2"].attributes[0].name == "parked"
    assert objects["2"].attributes[0].value is True
    assert [(a.name, a.value) for a in item.classifications] == [("weather", "rain")]
    assert item.status == "REVIEWED"
    assert (item.width, item.height) == (8, 6)  # from the bitmap, the image being absent
    assert not [issue for issue in issues if issue.level == "error"]


def test_bitmap_gaps_are_located_warnings(bitmap_release: Path) -> None:
    dataset, issues = read(bitmap_release)
    objects = by_id(dataset.items[0])
    messages = [str(issue) for issue in issues]
    # An annotation without pixels keeps its category but no shape.
    assert objects["99"].geometry is None
    assert objects["99"].extra["no_pixels"]
    assert any("annotation id 99 has no pixels" in m for m in messages)
    # Pixels without an annotation show as 'unknown'.
    unknown = objects["300"]
    assert unknown.category == "unknown"
    assert int(unknown.geometry.decode().sum()) == 1
    assert any("3 pixels" not in m and "id 300" in m for m in messages)
    # A category id that the release does not declare.
    assert objects["5"].category == "unknown category 7"
    assert any(
        i.where == "dataset.samples[0].labels.ground-truth.attributes.annotations[4].category_id"
        for i in issues
    )
    # Missing bitmap (sample 3) and 8-bit bitmap (sample 4): objects without masks, warnings.
    lost, gray = dataset.items[2], dataset.items[3]
    assert [obj.geometry for obj in lost.objects] == [None]
    assert [obj.geometry for obj in gray.objects] == [None]
    located = {i.where: i.message for i in issues}
    assert (
        "missing.png"
        in located["dataset.samples[2].labels.ground-truth.attributes.segmentation_bitmap"]
    )
    assert (
        "mode L" in located["dataset.samples[3].labels.ground-truth.attributes.segmentation_bitmap"]
    )


def test_unlabeled_samples_are_items_without_labels(bitmap_release: Path) -> None:
    dataset, issues = read(bitmap_release)
    unlabeled = dataset.items[1]
    assert unlabeled.name == "unlabeled.jpg"
    assert unlabeled.status == "UNLABELED"
    assert unlabeled.objects == []
    assert not [i for i in issues if i.item == unlabeled.id]


def test_categories_keep_ids_colours_and_alpha(bitmap_release: Path) -> None:
    dataset, _ = read(bitmap_release)
    road, car, person = (dataset.categories[n] for n in ("road", "car", "person"))
    assert (road.id, road.color) == (0, (128, 64, 128))
    assert (car.id, car.color, car.extra["alpha"], car.extra["has_instances"]) == (
        1,
        (0, 0, 142),
        200,
        True,
    )
    assert person.color is None


def test_ground_truth_labelset_is_chosen_and_the_choice_is_visible(bitmap_release: Path) -> None:
    dataset, issues = read(bitmap_release)
    assert dataset.meta["labelset"] == "ground-truth"
    assert dataset.meta["labelsets"] == ["predictions", "ground-truth"]
    assert dataset.items[0].extra["other_labelsets"] == {"predictions": "PRELABELED"}
    assert any(i.where == "dataset.labelsets" and "'ground-truth'" in i.message for i in issues)


def test_reader_option_picks_another_labelset(bitmap_release: Path) -> None:
    write_rgba(bitmap_release.parent / "pred-1.png", (IDS == 2).astype(np.uint32))
    dataset, _ = read(bitmap_release, labelset="predictions")
    [obj] = dataset.items[0].objects
    assert (obj.category, obj.source) == ("car", "model")
    assert int(obj.geometry.decode().sum()) == 8
    assert dataset.items[0].status == "PRELABELED"
    with pytest.raises(FormatError, match=r"no labelset 'nope'.*ground-truth"):
        read(bitmap_release, labelset="nope")


def test_bitmap_is_decoded_once_for_all_instances(
    bitmap_release: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Path] = []
    decode = segments.decode_bitmap

    def counting(path: Path) -> np.ndarray:
        calls.append(path)
        return decode(path)

    monkeypatch.setattr(segments_bitmaps.BITMAP_CACHE, "decode", counting)
    segments.BITMAP_CACHE.clear()
    dataset, _ = read(bitmap_release, check_bitmaps=False)
    assert calls == []  # nothing decoded while reading
    masks = [obj.geometry for obj in dataset.items[0].objects if obj.geometry is not None]
    areas = [int(mask.decode().sum()) for mask in masks]
    assert areas == [6, 8, 5, 0, 0]  # ids 1, 2, 70000, 99 and 5 (unchecked: no pixels)
    assert [path.name for path in calls] == ["bitmap-1.png"]


def test_sdk_download_layout_with_16_bit_cache(tmp_path: Path, data: Path) -> None:
    release = tmp_path / "release.json"
    shutil.copy(data / "segments" / "bitmap_release.json", release)
    (tmp_path / "labels").mkdir()
    Image.new("RGB", (8, 6)).save(tmp_path / "street 1.jpg")
    clipped = np.where(IDS == 70000, 70000 & 0xFFFF, IDS).astype(np.uint16)
    Image.fromarray(clipped).save(tmp_path / "labels" / "street 1_label_ground-truth.png")
    dataset, issues = read(release)
    item = dataset.items[0]
    assert item.image_path == tmp_path / "street 1.jpg"
    assert (item.width, item.height) == (8, 6)
    objects = by_id(item)
    assert int(objects["2"].geometry.decode().sum()) == 8
    assert objects["70000"].geometry is None  # the 16-bit cache cannot hold it
    assert any("id 70000 cannot be held by the 16-bit" in i.message for i in issues)


def test_url_map_and_images_dir(tmp_path: Path, data: Path) -> None:
    release = tmp_path / "release.json"
    shutil.copy(data / "segments" / "bitmap_release.json", release)
    (tmp_path / "store").mkdir()
    write_rgba(tmp_path / "store" / "anything.png", IDS)
    images = tmp_path / "pictures"
    images.mkdir()
    Image.new("RGB", (8, 6)).save(images / "aaa.jpg")  # the URL's base name
    url = "https://segmentsai-prod.s3.eu-west-2.amazonaws.com/assets/tester/bitmap-1.png"
    url_map = tmp_path / "map.json"
    url_map.write_text(json.dumps({url: "store/anything.png"}))
    ctx = ReadContext(file=release, url_map=url_map, images_dir=images)
    dataset = segments.read(release, ctx)
    item = dataset.items[0]
    assert item.image_path == images / "aaa.jpg"
    assert int(by_id(item)["1"].geometry.decode().sum()) == 6


# --- vectors and sequences ------------------------------------------------------------------------


def test_vector_shapes_exact(data: Path) -> None:
    dataset, issues = read(data / "segments" / "vector_release.json")
    [item] = dataset.items
    objects = by_id(item)
    assert objects["1"].geometry == Box(10.5, 20.75, 20.0, 19.5)  # reversed corners normalised
    polygon = objects["2"].geometry
    assert isinstance(polygon, Polygon)
    assert polygon.parts[0].outer.tolist() == [[0, 0], [4, 0], [4, 3]]  # closing point dropped
    assert isinstance(objects["3"].geometry, Polyline)
    assert objects["3"].geometry.points.tolist() == [[1, 1], [2, 5], [9, 9]]
    assert objects["4"].geometry == Point(12.5, 13.5)
    assert objects["1"].source == "model"  # PRELABELED
    assert objects["1"].attributes[0].value == "STOP"
    assert objects["7"].geometry is None
    assert objects["7"].extra["yaw"] == 0.5
    assert "5" not in objects
    assert "6" not in objects
    wheres = {i.where for i in issues}
    assert "dataset.samples[0].labels.ground-truth.attributes.annotations[4]" in wheres
    assert "dataset.samples[0].labels.ground-truth.attributes.annotations[5]" in wheres
    assert any("cuboid" in i.message for i in issues)
    assert [(r.name, r.members) for r in item.relations] == [("link", ("3", "4"))]
    assert {a.name: a.value for a in item.classifications} == {"scene": "urban", "lanes": 2}
    assert dataset.categories["lane"].color == (0, 255, 0)


def test_sequence_frames_tracks_keyframes(data: Path) -> None:
    dataset, issues = read(data / "segments" / "sequence_release.json")
    [item] = dataset.items
    assert item.kind == "sequence"
    # Frames are named as the SDK's export names them: <sample stem>-<frame name><URL suffix>.
    assert [f.name for f in item.frames] == [
        "clip_7-first.jpg",
        "clip_7-00002.jpg",
        "clip_7-00003.jpg",
    ]
    assert item.frames[0].extra["name"] == "first"  # the release's own frame name
    assert item.frames[0].extra["timestamp"] == "1521632908000289000"  # opaque, not a float
    cars = [obj for obj in item.objects if obj.category == "car"]
    assert [(o.frame, o.track, o.id, o.extra["keyframe"]) for o in cars] == [
        (0, "6", "1", True),
        (1, "6", "1", False),
        (2, "6", "1", True),
    ]
    assert cars[1].geometry == Box(5, 0, 10, 10)
    light = [(a.value, a.frames) for a in item.classifications if a.name == "light"]
    assert light == [("day", (0, 1)), ("dusk", (2, 2))]
    assert item.relations[0].members == ("6", "9")
    assert not [i for i in issues if i.level == "error"]


@pytest.mark.parametrize(
    ("name", "category", "kind"),
    [("legacy_2020_release.json", "dog", "none"), ("legacy_2021_release.json", "tree", "box")],
)
def test_older_generations(data: Path, name: str, category: str, kind: str) -> None:
    dataset, _ = read(data / "segments" / name)
    [obj] = dataset.items[0].objects
    assert (obj.category, obj.kind) == (category, kind)
    assert dataset.meta["generation"] in ("tasks", "labelsets")


def test_not_a_release_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"dataset": {"samples": 3}}')
    with pytest.raises(FormatError, match=r"x.json: dataset.samples: not a Segments.ai release"):
        read(path)
