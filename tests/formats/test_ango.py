"""Ango Hub reader: v2 and v3, every tool, answers, relations, history, packaging, bad input.

The fixtures in tests/data/ango are synthetic, hand-written from Ango Hub's public export
documentation (README there); the real v2 sample is read by the `samples` tests.
"""

from __future__ import annotations

import json
import random
import shutil
import threading
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import json_paths, needs_writer

from labelview import formats
from labelview.errors import Cancelled, FormatError
from labelview.formats import ango
from labelview.formats.base import Confidence, Probe, ReadContext, TaskControl
from labelview.model import Box, Dataset, Mask, Point, Polygon, Polyline, RotatedBox
from labelview.model.classifications import flatten, walk

HERE = Path(__file__).resolve().parent.parent / "data" / "ango"
ALL = HERE / "v3_all_tools.json"
SAMPLE = Path("ango") / "v2_newspaper_segmentation_bbox_polygon_multitask.json"


def _read(path: Path, **options: object) -> Dataset:
    return formats.read(path, format="ango", ctx=ReadContext(file=path, **options))  # type: ignore[arg-type]


def _messages(dataset: Dataset) -> list[str]:
    return [str(issue) for issue in dataset.issues]


@pytest.fixture(scope="module")
def street() -> Dataset:
    return _read(ALL)


def _by_id(dataset: Dataset, item: int) -> dict:
    return {obj.id: obj for obj in dataset.items[item].objects}


# --- detection ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["v3_all_tools.json", "v3_assets.ndjson", "v3_bad.json", "v2_multitask.json"]
)
def test_detects_its_fixtures(name: str) -> None:
    verdict = ango.detect(Probe.of(HERE / name))
    assert verdict.confidence == Confidence.CERTAIN, verdict.reason


def test_detects_a_deflated_zip_from_its_head(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project-export.json", ALL.read_bytes())
    assert ango.detect(Probe.of(path)).confidence == Confidence.CERTAIN


def test_shape_without_ango_keys_is_likely(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(json.dumps([{"asset": "a.jpg", "externalId": "a.jpg", "task": {}}]))
    assert ango.detect(Probe.of(path)).confidence == Confidence.LIKELY


def test_other_json_is_at_most_weak(tmp_path: Path) -> None:
    coco = tmp_path / "instances.json"
    coco.write_text(json.dumps({"images": [], "annotations": [], "categories": []}))
    assert ango.detect(Probe.of(coco)).confidence == Confidence.WEAK
    text = tmp_path / "notes.txt"
    text.write_text("externalId task")
    assert ango.detect(Probe.of(text)).confidence == Confidence.NO


def test_never_claims_other_formats_fixtures() -> None:
    others = [p for p in HERE.parent.rglob("*") if p.is_file() and HERE not in p.parents]
    for path in others:
        verdict = ango.detect(Probe.of(path))
        assert verdict.confidence <= Confidence.WEAK, f"{path}: {verdict.reason}"


# --- the real v2 sample ---------------------------------------------------------------------------


@pytest.mark.samples
def test_real_v2_sample(samples: Path) -> None:
    dataset = _read(samples / SAMPLE)
    assert [i for i in dataset.issues if i.level == "error"] == []
    assert len(dataset.items) == 19
    assert dataset.object_count == 868
    assert dataset.counts()["kind"] == Counter({"box": 701, "polygon": 167})
    assert len(dataset.categories) == 12
    assert "Content Title " in dataset.categories  # the trailing space is the project's own
    assert sum(len(item.extra["tasks"]) for item in dataset.items) == 23
    # The duplicated externalId gives two items with the same name and different ids.
    names = Counter(item.name for item in dataset.items)
    (duplicate,) = [name for name, n in names.items() if n == 2]
    assert duplicate.startswith("97-02-08-0018_png")
    twins = [item for item in dataset.items if item.name == duplicate]
    assert len({item.id for item in twins}) == 2
    assert len({item.id for item in dataset.items}) == 19


@pytest.mark.samples
def test_real_v2_sample_keeps_every_task(samples: Path) -> None:
    dataset = _read(samples / SAMPLE)
    multi = [item for item in dataset.items if len(item.extra["tasks"]) == 2]
    assert len(multi) == 4
    for item in multi:
        first, second = item.extra["tasks"]
        assert (first["labeler"], second["labeler"]) == ("sohayla", "Fatma Oztel")
        by_task = Counter(obj.extra["task_index"] for obj in item.objects)
        assert by_task == {0: first["objects"], 1: second["objects"]}
        assert {obj.created_by for obj in item.objects if obj.extra["task_index"] == 1} == {
            "Fatma Oztel"
        }
        assert item.labeler == "sohayla"
        assert [event.actor for event in item.history] == ["sohayla", "Fatma Oztel"]
    assert sum(len(item.objects) for item in multi) == 52 + 6 + 53 + 7 + 28 + 5 + 51 + 7
    notes = [i for i in dataset.issues if "has 2 tasks" in i.message]
    assert {i.item for i in notes} == {item.id for item in multi}
    assert all(i.where.endswith(".tasks") for i in notes)
    first = dataset.items[0]
    assert (first.width, first.height) == (1565, 2293)
    assert first.image == first.name == "97-02-08-0001_png.rf.a32f0b977e532ceda681a5991436146e.jpg"
    assert first.history[0].duration == pytest.approx(7123.910)
    assert first.status == "Labeled"


# --- v3: every tool -------------------------------------------------------------------------------


def test_box_with_negative_size_is_normalised(street: Dataset) -> None:
    car = _by_id(street, 0)["00000000000000000000001"]
    assert car.geometry == Box(20.0, 20.0, 30.0, 20.0)
    assert car.category == "car"
    assert car.created_by == "anna@example.net"
    assert car.created_at == "2023-09-01T08:00:00Z"  # epoch ms in the export
    assert car.updated_by == "rob@example.net"
    assert car.extra["metadata"] == {
        "createdIn": "Label",
        "updatedIn": "f9313189-d532-4fa3-ad9e-876af7321f6b",
    }


def test_rotated_box_from_corners(street: Dataset) -> None:
    objects = _by_id(street, 0)
    box = objects["00000000000000000000004"].geometry
    assert isinstance(box, RotatedBox)
    assert (box.cx, box.cy, box.w, box.h) == pytest.approx((95.0, 30.0, 20.0, 10.0))
    assert box.angle == pytest.approx(90.0)  # positive = clockwise on screen, as Ango's
    # Ango's documented rotated-box example: rotation −40.97°, width 6.10, height 92.03.
    docs = objects["00000000000000000000005"].geometry
    assert docs.angle == pytest.approx(-40.97174, abs=0.01)
    assert (docs.w, docs.h) == pytest.approx((6.09524, 92.03002), abs=0.01)
    corners = docs.corners()
    nearest = np.abs(corners - [172.98095, 101.79048]).sum(axis=1).min()
    assert nearest < 0.01


def test_rotated_box_without_corners_uses_the_export_rule(street: Dataset) -> None:
    objects = _by_id(street, 0)
    inferred = objects["00000000000000000000006"].geometry
    with_corners = objects["00000000000000000000004"].geometry
    assert (inferred.cx, inferred.cy, inferred.w, inferred.h, inferred.angle) == pytest.approx(
        (with_corners.cx, with_corners.cy, with_corners.w, with_corners.h, with_corners.angle)
    )
    assert any("1 rotated boxes have no corners" in m for m in _messages(street))


def test_polygon_polyline_point(street: Dataset) -> None:
    objects = _by_id(street, 0)
    lane = objects["00000000000000000000002"].geometry
    assert isinstance(lane, Polygon)
    np.testing.assert_array_equal(lane.parts[0].outer, [[10, 60], [60, 60], [60, 90], [10, 90]])
    curb = objects["00000000000000000000007"].geometry
    assert isinstance(curb, Polyline)
    np.testing.assert_array_equal(curb.points, [[0, 95], [100, 95], [199, 99]])
    assert objects["00000000000000000000008"].geometry == Point(150.5, 10.25)


def test_segmentation_zones_and_holes(street: Dataset) -> None:
    objects = _by_id(street, 0)
    building = objects["00000000000000000000003"].geometry
    assert isinstance(building, Polygon)
    assert len(building.parts) == 2  # the empty zone is dropped
    np.testing.assert_array_equal(
        building.parts[0].holes[0], [[140, 60], [160, 60], [160, 80], [140, 80]]
    )
    assert building.parts[1].holes == ()
    # One docs table writes a single hole as a flat list of points.
    flat = objects["00000000000000000000009"].geometry
    np.testing.assert_array_equal(flat.parts[0].holes[0], [[2, 2], [4, 2], [4, 4]])


def test_tools_without_shape_are_kept(street: Dataset) -> None:
    objects = _by_id(street, 0)
    ner = objects["0000000000000000000000a"]
    assert ner.geometry is None
    assert ner.extra["ner"] == {"start": 10, "end": 15, "selection": "Paris"}
    assert objects["0000000000000000000000b"].extra["pdf"]["position"]["pageNumber"] == 1
    assert objects["0000000000000000000000c"].extra["pct"]["size"]["z"] == 1.5
    organ = objects["0000000000000000000000d"]
    assert organ.geometry is None
    assert organ.attributes[0].name == "side"
    assert organ.attributes[0].value == "left"
    (summary,) = [m for m in _messages(street) if "without a drawable shape" in m]
    assert summary.endswith("ner 1, pdf 1, pct 1, medical-brush 1")


def test_categories_from_the_ontology(street: Dataset) -> None:
    car = street.categories["car"]
    assert (car.id, car.color, car.shape) == ("b1c6805d054f0e44ae11500", (0, 255, 0), "box")
    assert street.categories["sign"].shape == "rotated_box"
    assert street.categories["building"].shape == "polygon"
    assert street.categories["city"].shape == "ner"


# --- brush ----------------------------------------------------------------------------------------


def test_brush_png_beside_the_export_maps_colours_to_classes(street: Dataset) -> None:
    masks = {obj.category: obj for obj in street.items[0].objects if isinstance(obj.geometry, Mask)}
    assert set(masks) == {"road", "sky"}
    road = masks["road"].geometry
    assert (road.height, road.width) == (200, 300)
    assert road.area == 200
    assert road.bbox() == (0.0, 0.0, 20.0, 10.0)
    pixels = road.decode()
    assert pixels[9, 19]
    assert not pixels[10, 19]
    assert not pixels[0, 20]
    assert masks["sky"].geometry.bbox() == (180.0, 90.0, 4.0, 5.0)
    assert street.categories["road"].color == (255, 0, 0)
    assert street.categories["road"].id == "f00000000000000000000b1"
    assert any(
        "1 brush pixels have a colour no ontology brush class" in m for m in _messages(street)
    )


def test_brush_without_ontology_names_classes_by_colour(tmp_path: Path) -> None:
    for name in ("v3_all_tools.json", "brush-street.png"):
        shutil.copy(HERE / name, tmp_path / name)
    dataset = _read(tmp_path / "v3_all_tools.json")
    names = {obj.category for obj in dataset.items[0].objects if obj.kind == "mask"}
    assert names == {"brush #ff0000", "brush #0000ff", "brush #123456"}
    assert any("brush colours become categories" in m for m in _messages(dataset))
    # Without the ontology the option id stays as written.
    assert dataset.items[0].classifications[-1].value == "a1b2c3d4e5f6a7b8c9d0e1f"


def test_ontology_given_explicitly(tmp_path: Path) -> None:
    for name in ("v3_all_tools.json", "brush-street.png"):
        shutil.copy(HERE / name, tmp_path / name)
    dataset = _read(tmp_path / ALL.name, ontology=HERE / "v3_all_tools.ontology.json")
    assert {"road", "sky"} <= set(dataset.categories)
    assert dataset.meta["ango"]["ontology"] == "v3_all_tools.ontology.json"


def test_missing_brush_png_is_a_located_warning(tmp_path: Path) -> None:
    shutil.copy(ALL, tmp_path / ALL.name)
    dataset = _read(tmp_path / ALL.name)
    assert not any(obj.kind == "mask" for _, obj in dataset.objects())
    (issue,) = [i for i in dataset.issues if "brush mask" in i.message]
    assert issue.where == "[0].task.brushDataUrl"
    assert "'brush-street.png' not found locally" in issue.message


def test_brush_found_through_url_map(tmp_path: Path) -> None:
    shutil.copy(ALL, tmp_path / ALL.name)
    (tmp_path / "masks").mkdir()
    shutil.copy(HERE / "brush-street.png", tmp_path / "masks" / "task1.png")
    url = json.loads(ALL.read_text())[0]["task"]["brushDataUrl"]
    url_map = tmp_path / "urls.json"
    url_map.write_text(json.dumps({url: "masks/task1.png"}))
    dataset = _read(tmp_path / ALL.name, url_map=url_map)
    assert Counter(obj.kind for obj in dataset.items[0].objects)["mask"] == 3


def test_images_found_through_url_map(tmp_path: Path) -> None:
    shutil.copy(ALL, tmp_path / ALL.name)
    shutil.copy(HERE / "small.png", tmp_path / "downloaded.png")
    assets = json.loads(ALL.read_text())
    url_map = tmp_path / "urls.json"
    url_map.write_text(
        json.dumps(
            {assets[1]["asset"]: "downloaded.png", assets[4]["dataset"][1]: "downloaded.png"}
        )
    )
    dataset = _read(tmp_path / ALL.name, url_map=url_map)
    again, group = dataset.items[1], dataset.items[4]
    assert again.image_path == tmp_path / "downloaded.png"
    assert (again.width, again.height) == (40, 30)  # from the mapped image, not the extent
    assert [f.image_path for f in group.frames] == [None, tmp_path / "downloaded.png"]


# --- classifications, relations, history ---------------------------------------------------------


def test_nested_object_answers_three_deep(street: Dataset) -> None:
    car = _by_id(street, 0)["00000000000000000000001"]
    assert [path for path, _ in walk(car.attributes)] == [
        "occluded",
        "occluded/occluders",
        "occluded/occluders/note",
    ]
    assert flatten(car.attributes) == {
        "occluded": "yes",
        "occluded/occluders": ["tree", "sign"],
        "occluded/occluders/note": "partly hidden",
    }
    assert car.attributes[0].extra["tool"] == "radio"


def test_item_answers_of_every_type(street: Dataset) -> None:
    answers = {a.name: a for a in street.items[0].classifications}
    assert answers["weather"].value == "sunny"
    assert answers["weather"].answered_by == "anna@example.net"
    assert answers["tags"].value == ["urban"]
    assert answers["time"].value == "day"
    assert answers["country"].value == ["DE", "FR"]
    assert answers["comment"].value == "<p>busy</p>"
    assert answers["scene"].value[-1] == "Outdoor / Street / Crossing"
    assert answers["quality"].value == ["sharp", "bright"]
    assert {a.name: a.extra["tool"] for a in answers.values()}["scene"] == "tree-dropdown"
    # An option id (the internal API's form) is resolved through the ontology.
    camera = answers["camera"]
    assert camera.value == "dashcam"
    assert camera.children[0].children[0].name == "height"
    assert camera.children[0].children[0].value == "2 m"


def test_relations(street: Dataset) -> None:
    car, lane, building = (f"{n:023x}" for n in (1, 2, 3))
    relations = {r.name: r for r in street.items[0].relations}
    assert (relations["on"].members, relations["on"].directed) == ((car, lane), True)
    assert relations["under"].members == (lane, car)  # direction "reverse"
    assert (relations["near"].members, relations["near"].directed) == ((car, building), False)
    assert relations["gru"].members == (car, lane, building)
    assert relations["gru"].extra["schemaId"] == "37ccadce8a7505b93659450"


def test_stage_history_with_a_rejection(street: Dataset) -> None:
    item = street.items[0]
    assert [(e.stage, e.actor, e.action) for e in item.history] == [
        ("Start", None, "started"),
        ("Label", "anna@example.net", "submitted"),
        ("Review 1", "rob@example.net", "rejected"),
        ("Label", "anna@example.net", "submitted"),
        ("Review 1", "rob@example.net", "accepted"),
        ("Complete", "rob@example.net", "current"),
    ]
    assert item.history[1].duration == pytest.approx(8.217)
    assert item.history[2].at == "2023-09-01T09:00:00.000Z"
    assert item.history[2].extra["type"] == "Review"  # from the ontology's stages
    assert item.history[2].extra["stageId"] == "f9313189-d532-4fa3-ad9e-876af7321f6b"
    assert item.history[3].extra["tools_count"] == 2
    assert item.status == "Complete"
    assert item.labeler == "anna@example.net"


# --- metadata and sizes ---------------------------------------------------------------------------


def test_duplicate_external_id_and_item_fields(street: Dataset) -> None:
    first, again = street.items[0], street.items[1]
    assert first.name == again.name == "street.jpg"
    assert first.image == "street.jpg"
    assert first.id == "64e5e5b985eb730015b4eb01"  # assetId
    assert again.id == "64e5e5b985eb730015b4ebd2"  # taskId when there is no assetId
    assert first.extra["batches"] == ["batch A"]
    assert first.extra["generation"] == "v3"
    assert first.extra["asset"].startswith("https://angohub-private-assets")


def test_repeated_asset_gets_a_unique_id(tmp_path: Path) -> None:
    asset = json.loads(ALL.read_text())[2]
    path = tmp_path / "twice.json"
    path.write_text(json.dumps([asset, asset]))
    dataset = _read(path)
    assert [item.id for item in dataset.items] == [
        "64e5e5b985eb730015b4ebd3",
        "64e5e5b985eb730015b4ebd3#1",
    ]
    assert any(i.where == "[1]" and "duplicate asset id" in i.message for i in dataset.issues)


def test_sizes_from_metadata_local_image_and_extent(street: Dataset) -> None:
    sizes = [(item.width, item.height) for item in street.items]
    assert sizes[0] == (300, 200)  # metadata
    assert sizes[1] == (151, 81)  # no metadata, no image: extent of the polygon
    assert sizes[2] == (40, 30)  # small.png beside the export
    extent = [i for i in street.issues if "annotations' extent (151×81)" in i.message]
    assert [i.where for i in extent] == ["[1].metadata"]


def test_video_frames_tracks_and_interpolation_stop(street: Dataset) -> None:
    video = street.items[3]
    assert video.kind == "video"
    assert video.fps == 30.0
    assert len(video.frames) == 5
    assert [(o.frame, o.track, o.geometry.x) for o in video.objects] == [
        (0, "3d94d5ead7fcc14859ee425", 10.0),
        (1, "3d94d5ead7fcc14859ee425", 12.0),
        (2, "3d94d5ead7fcc14859ee425", 14.0),
    ]
    assert video.extra["track_ends"] == {"3d94d5ead7fcc14859ee425": 3}
    # One answer per frame in the export; equal answers on consecutive frames become a range.
    assert [(a.value, a.frames) for a in video.classifications] == [
        ("rain", (1, 2)),
        ("sun", (3, 3)),
        ("rain", (4, 4)),
    ]


def test_multi_image_asset(street: Dataset) -> None:
    group = street.items[4]
    assert group.kind == "group"
    assert [f.name for f in group.frames] == ["page0.jpg", "page1.jpg"]
    assert group.objects[0].frame == 1
    assert group.objects[0].geometry == Point(7.0, 8.0)


def test_single_asset_object(tmp_path: Path) -> None:
    asset = json.loads(ALL.read_text())[2]
    path = tmp_path / "one.json"
    path.write_text(json.dumps(asset))
    dataset = _read(path)
    assert [item.name for item in dataset.items] == ["small.png"]


# --- v2 -------------------------------------------------------------------------------------------


def test_v2_review_and_skipped_task() -> None:
    dataset = _read(HERE / "v2_multitask.json")
    (item,) = dataset.items
    assert [(e.stage, e.actor, e.action) for e in item.history] == [
        ("Label", "sohayla", "submitted"),
        ("Review", "rev@example.net", "rejected"),
        ("Label", "Fatma", "skipped"),
    ]
    assert item.history[1].at == "2022-08-27T10:00:00.000Z"
    assert item.history[2].duration == pytest.approx(98.189)  # "duration(ms)"
    assert item.status == "Review Rejected"
    assert item.labeler == "sohayla"
    assert [obj.created_by for obj in item.objects] == ["sohayla", "Fatma"]
    assert item.classifications[0].value == "two columns"
    assert item.classifications[0].extra["task"] == "6305d727bdf9c3000e671c26"


# --- packaging ------------------------------------------------------------------------------------


def test_ndjson_with_a_truncated_line() -> None:
    dataset = _read(HERE / "v3_assets.ndjson")
    assert [item.name for item in dataset.items] == ["n1.jpg", "n3.jpg"]
    (issue,) = dataset.issues
    assert issue.level == "error"
    assert issue.where == "line 2"
    assert "invalid JSON" in issue.message


def test_ndjson_warnings_name_the_line(tmp_path: Path) -> None:
    good, bad = json.loads(ALL.read_text())[2], json.loads(ALL.read_text())[2]
    bad["task"]["tools"][0] = {"polygon": [[1, 1], [2, 2]], "title": "lane"}
    good["metadata"] = bad["metadata"] = {"width": 40, "height": 30}
    bad["task"]["taskId"] = "64e5e5b985eb730015b4ebff"
    path = tmp_path / "export.ndjson"
    path.write_text(f"{json.dumps(good)}\n\n{json.dumps(bad)}\n")
    dataset = _read(path)
    assert len(dataset.items) == 2
    assert [i.where for i in dataset.issues] == ["line 3: task.tools[0].polygon"]


@pytest.mark.parametrize("member", ["export.json", "export.ndjson"])
def test_zip_is_read_in_memory(tmp_path: Path, member: str) -> None:
    source = ALL if member.endswith(".json") else HERE / "v3_assets.ndjson"
    path = tmp_path / "project.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, source.read_bytes())
    dataset = _read(path)
    assert len(dataset.items) == (5 if member.endswith(".json") else 2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["project.zip"]  # nothing extracted


def test_zip_member_paths_locate_warnings(tmp_path: Path) -> None:
    path = tmp_path / "project.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "exported by Ango Hub")
        archive.writestr("bad.json", (HERE / "v3_bad.json").read_bytes())
    dataset = _read(path)
    assert len(dataset.items) == 1
    wheres = [i.where for i in dataset.issues]
    assert "bad.json: [0].task.tools[2].polygon" in wheres
    assert any("readme.txt" in i.message for i in dataset.issues)


def test_one_bad_zip_member_is_an_error_and_the_others_load(tmp_path: Path) -> None:
    path = tmp_path / "project.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.json", ALL.read_bytes())
        archive.writestr("broken.json", b'[{"externalId": "x.jpg", "task": {')  # truncated
        archive.writestr("number.json", b"42")
        archive.writestr("c.ndjson", (HERE / "v3_assets.ndjson").read_bytes())
    dataset = _read(path)
    assert len(dataset.items) == 5 + 2
    errors = [i for i in dataset.issues if i.level == "error"]
    assert [i.where.split(":")[0] for i in errors] == ["broken.json", "number.json", "c.ndjson"]
    assert all("member skipped" in i.message for i in errors[:2])
    assert errors[0].where.startswith("broken.json: line 1")  # located inside the member


def test_zip_without_json_fails_with_its_members(tmp_path: Path) -> None:
    path = tmp_path / "project.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("images/a.jpg", b"\xff\xd8")
    with pytest.raises(FormatError, match=r"no JSON or NDJSON export \(members: images/a.jpg\)"):
        _read(path)


# --- bad input ------------------------------------------------------------------------------------


def test_bad_input_is_located_and_the_rest_loads() -> None:
    dataset = _read(HERE / "v3_bad.json")
    (item,) = dataset.items
    kinds = Counter(obj.kind for obj in item.objects)
    assert kinds == {"box": 1, "none": 2}
    good = next(obj for obj in item.objects if obj.kind == "box")
    assert good.geometry == Box(5.0, 6.0, 7.0, 8.0)
    hexagon = next(obj for obj in item.objects if obj.extra and "hexagon" in obj.extra)
    assert hexagon.extra["hexagon"] == {"cx": 3, "cy": 4, "r": 2}
    located = {(i.where, i.level) for i in dataset.issues}
    assert located >= {
        ("[0].task.tools[0]", "warning"),  # no geometry
        ("[0].task.tools[1]", "warning"),  # unknown tool key
        ("[0].task.tools[2].polygon", "warning"),  # 2 points
        ("[0].task.tools[3].bounding-box", "warning"),  # x is a string
        ("[0].task.tools[4]", "warning"),  # not an object
        ("[0].task.relations[0]", "warning"),  # refers to a deleted object
        ("[1]", "error"),
        ("[2]", "error"),
    }
    messages = _messages(dataset)
    assert any("unknown tool 'hexagon'" in m for m in messages)
    assert any("polygon has 2 points" in m for m in messages)


def test_no_mutation_escapes_as_an_exception(tmp_path: Path) -> None:
    """Any value anywhere replaced by a wrong type: the read ends with issues, never a crash."""
    original = json.loads(ALL.read_text())
    paths = [p for p in json_paths(original) if p]
    wrong = [None, 7, -1.5, "x", "", [], {}, [1, 2], {"x": 1}, True, 1e308]
    rng = random.Random(1)
    path = tmp_path / "mutated.json"
    for _ in range(150):
        data = json.loads(ALL.read_text())
        where = rng.choice(paths)
        node = data
        for key in where[:-1]:
            node = node[key]
        node[where[-1]] = rng.choice(wrong)
        path.write_text(json.dumps(data))
        try:
            dataset = _read(path)
        except FormatError:
            continue  # e.g. the whole top level replaced
        assert len(dataset.items) + sum(i.level == "error" for i in dataset.issues) >= 1, where


def test_not_ango_at_all_fails(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("hello")
    with pytest.raises(FormatError, match="not an Ango export"):
        _read(path)
    path.write_text("[]")
    with pytest.raises(FormatError, match="no assets"):
        _read(path)


# --- progress and cancel --------------------------------------------------------------------------


def test_progress_and_cancel() -> None:
    calls: list[tuple[int, int]] = []
    control = TaskControl(on_progress=lambda done, total: calls.append((done, total)))
    formats.read(ALL, format="ango", control=control)
    assert calls[-1] == (5, 5)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        formats.read(ALL, format="ango", control=TaskControl(cancel_event=cancel))


# --- conversion -----------------------------------------------------------------------------------


def test_convert_to_coco_keeps_rotation_and_holes(tmp_path: Path) -> None:
    needs_writer("coco")
    from labelview.convert import convert
    from labelview.ops import rle

    report = convert(ALL, tmp_path / "coco", "coco", from_format="ango")
    data = json.loads((tmp_path / "coco" / "annotations.json").read_text())
    by_name = {c["id"]: c["name"] for c in data["categories"]}
    first = [a for a in data["annotations"] if a["image_id"] == data["images"][0]["id"]]
    signs = [a for a in first if by_name[a["category_id"]] == "sign"]
    assert len(signs) == 3
    assert signs[0]["attributes"]["rotation"] == pytest.approx(90.0)
    ring = np.array(signs[0]["segmentation"][0]).reshape(-1, 2)
    assert sorted(map(tuple, ring.tolist())) == [(90, 20), (90, 40), (100, 20), (100, 40)]
    building = next(a for a in first if by_name[a["category_id"]] == "building")
    mask = rle.decode_coco(building["segmentation"])
    assert mask[55, 130]  # inside the region
    assert not mask[70, 150]  # inside the hole
    assert building["area"] == 70 * 45 - 20 * 20 + 10 * 10
    assert report.targets[0].objects >= 17


def test_convert_to_yolo_obb_keeps_rotated_boxes(tmp_path: Path) -> None:
    needs_writer("yolo")
    from labelview.convert import convert

    convert(ALL, tmp_path / "yolo", "yolo", from_format="ango", options={"yolo": {"task": "obb"}})
    labels = {p.stem: p.read_text().splitlines() for p in tmp_path.rglob("labels/**/*.txt")}
    names = yaml.safe_load((tmp_path / "yolo" / "data.yaml").read_text())["names"]
    sign = next(index for index, name in names.items() if name == "sign")
    boxes = [line.split()[1:] for line in labels["street"] if line.split()[0] == str(sign)]
    # The corner-less copy is the very same box, and YOLO drops duplicate lines.
    assert len(boxes) == 2
    assert all(len(box) == 8 for box in boxes)
    corners = sorted(
        (round(float(x) * 300), round(float(y) * 200))
        for x, y in zip(boxes[0][0::2], boxes[0][1::2], strict=True)
    )
    assert corners == [(90, 20), (90, 40), (100, 20), (100, 40)]


def test_convert_cli_to_coco(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    needs_writer("coco")
    from labelview import cli

    source = tmp_path / "export.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("export.ndjson", (HERE / "v3_assets.ndjson").read_bytes())
    out = tmp_path / "out"
    code = cli.main(["convert", str(source), "--to", "coco", "-o", str(out), "--from", "ango"])
    assert code == 1  # the truncated line is an error; the rest is written
    assert "export.ndjson: line 2: invalid JSON" in capsys.readouterr().err
    data = json.loads((out / "annotations.json").read_text())
    assert [a["bbox"] for a in data["annotations"]] == [[1.0, 2.0, 3.0, 4.0]] * 2
