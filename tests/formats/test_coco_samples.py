"""COCO JSON: detection, reading, writing, round trip, located warnings, real samples."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from coco_support import _read
from pycocotools.coco import COCO
from test_coco_write import assert_identity, assert_same_masks

from labelview.convert import convert
from labelview.model import (
    Polyline,
)

# --- real samples ---------------------------------------------------------------------------------


@pytest.mark.samples
def test_mmpose_person_keypoints(samples: Path) -> None:
    dataset = _read(samples / "standard/coco/mmpose_person-keypoints_4img/test_coco.json")
    counts = dataset.counts()
    assert len(dataset.items) == 4
    # 14 annotations, 14 objects: 12 keypoints (outline kept in extra), 2 persons whose 17
    # points are all v=0 read as their polygon.
    assert dataset.object_count == 14
    assert counts["kind"] == {"keypoints": 12, "polygon": 2}
    person = dataset.categories["person"]
    assert len(person.skeleton.names) == 17
    assert len(person.skeleton.edges) == 19
    assert person.skeleton.edges[0] == (15, 13)  # [16, 14] 1-based
    visibility = np.concatenate(
        [o.geometry.visibility for _, o in dataset.objects() if o.kind == "keypoints"]
    )
    # Persons whose 17 points are all v=0 carry no keypoints object.
    assert (visibility == 2).sum() == 164
    assert (visibility == 1).sum() == 17
    assert dataset.issues == []


@pytest.mark.samples
def test_labelme_rings_are_parts_of_one_object(samples: Path) -> None:
    dataset = _read(samples / "standard/coco/labelme_instance-seg_voc2011-3img/annotations.json")
    parts = sorted(len(o.geometry.parts) for _, o in dataset.objects())
    assert len(parts) == 12
    assert parts[-2:] == [2, 4]
    assert dataset.categories["_background_"].id == 0


@pytest.mark.samples
def test_datumaro_keypoints_and_uncompressed_crowd(samples: Path) -> None:
    folder = samples / "standard/coco/datumaro_person-keypoints_toy/annotations"
    dataset = _read(folder / "person_keypoints_val.json")
    assert dataset.categories["a"].skeleton.edges == ((0, 1), (1, 2))
    assert dataset.categories["a"].skeleton.names == ("1", "2", "3")
    # A crowd region with labelled keypoints is one keypoints object; its RLE is kept as given.
    crowd = next(o for _, o in dataset.objects() if o.id == "2")
    assert crowd.kind == "keypoints"
    assert crowd.extra["iscrowd"] == 1
    assert crowd.extra["segmentation"] == {"counts": [0, 20, 30], "size": [10, 5]}
    assert dataset.object_count == 2


@pytest.mark.samples
def test_panoptic_detection_format_compressed_rle(samples: Path) -> None:
    folder = samples / "standard/coco/panopticapi_compressed-rle-and-panoptic_2img"
    dataset = _read(folder / "panoptic_coco_detection_format.json")
    masks = [o for _, o in dataset.objects()]
    assert len(masks) == 50
    assert all(o.kind == "mask" for o in masks)
    assert sum(1 for o in masks if o.extra and o.extra.get("iscrowd")) == 3
    assert "0" in {o.id for o in masks}
    assert dataset.categories["person"].color == (220, 20, 60)


@pytest.mark.samples
def test_encord_coco_export(samples: Path) -> None:
    dataset = _read(samples / "encord/encord-sdk_coco-export-example_image-bboxes.coco.json")
    boxes = [o for _, o in dataset.objects()]
    assert [o.kind for o in boxes] == ["box", "box"]
    assert boxes[0].geometry.x == pytest.approx(2713.1290800192946)
    assert boxes[0].source == "manual"
    assert boxes[0].track is not None


@pytest.mark.samples
def test_cocoapi_results_files(samples: Path) -> None:
    folder = samples / "standard/coco/cocoapi_results-format_val2014"
    boxes = _read(folder / "instances_val2014_fakebbox100_results.json")
    assert boxes.object_count == 734
    assert len(boxes.items) == 99
    assert all(o.confidence is not None for _, o in boxes.objects())
    segm = _read(folder / "instances_val2014_fakesegm100_results.json")
    assert segm.object_count == 734
    assert segm.counts()["kind"] == {"mask": 734}


def _standard_doc(annotations: list[dict], **image: object) -> dict:
    return {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 20, "height": 10, **image}],
        "categories": [{"id": 1, "name": "Line", "supercategory": "polyline"}],
        "annotations": annotations,
    }


def test_plain_annotation_follows_encord_shape_hint(tmp_path: Path) -> None:
    # Exactly the seven standard keys (the reader's fast path) must still honour the hint.
    ann = {
        "id": 1,
        "image_id": 1,
        "category_id": 1,
        "bbox": [0, 0, 5, 5],
        "area": 0,
        "iscrowd": 0,
        "segmentation": [[0, 0, 2, 3, 5, 5, 5, 5, 2, 3, 0, 0]],
    }
    path = tmp_path / "hint.json"
    path.write_text(json.dumps(_standard_doc([ann])))
    (obj,) = _read(path).items[0].objects
    assert isinstance(obj.geometry, Polyline)
    assert obj.geometry.points.tolist() == [[0, 0], [2, 3], [5, 5]]


def test_image_attributes_that_are_not_an_object_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "attrs.json"
    path.write_text(json.dumps(_standard_doc([], attributes=["night", "rain"])))
    dataset = _read(path)
    assert dataset.items[0].extra["attributes"] == ["night", "rain"]
    assert any("attributes" in issue.where for issue in dataset.issues)


def test_huge_integer_coordinate_is_one_warning(tmp_path: Path) -> None:
    good = {
        "id": 1,
        "image_id": 1,
        "category_id": 1,
        "bbox": [1, 1, 2, 2],
        "area": 4,
        "iscrowd": 0,
        "segmentation": [[1, 1, 3, 1, 3, 3, 1, 3]],
    }
    huge = {**good, "id": 2, "segmentation": [[1, 1, 10**400, 1, 3, 3]]}
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(_standard_doc([good, huge])))
    dataset = _read(path)
    assert [obj.id for obj in dataset.items[0].objects] == ["1"]
    assert [issue.where for issue in dataset.issues] == ["annotations[1]"]


# --- identity on every real COCO file -------------------------------------------------------------

# Every COCO case of the samples with ids and images (the results lists are below), and the two
# COCO files written by Encord's own exporter.
IDENTITY_CASES = [
    "standard/coco/labelme_instance-seg_voc2011-3img/annotations.json",
    "standard/coco/mmpose_person-keypoints_4img/test_coco.json",
    "standard/coco/panopticapi_compressed-rle-and-panoptic_2img/panoptic_coco_detection_format.json",
    "standard/coco/datumaro_coco-instances_toy/annotations/instances_train.json",
    "standard/coco/datumaro_coco-instances_toy/annotations/instances_val.json",
    "standard/coco/datumaro_person-keypoints_toy/annotations/person_keypoints_train.json",
    "standard/coco/datumaro_person-keypoints_toy/annotations/person_keypoints_val.json",
    "encord/encord-sdk_coco-export-example_image-bboxes.coco.json",
    "encord/encord-sdk_coco-export-example_image-polygon.coco.json",
]
RESULTS_CASES = [
    "instances_val2014_fakebbox100_results.json",
    "instances_val2014_fakesegm100_results.json",
    "person_keypoints_val2014_fakekeypoints100_results.json",
]


def _convert(source: Path, out: Path, **options: object) -> tuple[dict, object]:
    report = convert(source, out, "coco", options={"coco": options}, verify=True)
    return json.loads((out / "annotations.json").read_text()), report.targets[0]


def _clean_names(written: dict) -> None:
    for image in written["images"]:
        assert "://" not in image["file_name"], image
        assert "#" not in image["file_name"], image


@pytest.mark.samples
@pytest.mark.parametrize("case", IDENTITY_CASES)
def test_sample_round_trip_keeps_every_coco_field(samples: Path, tmp_path: Path, case: str) -> None:
    source_path = samples / case
    source = json.loads(source_path.read_text())
    written, report = _convert(source_path, tmp_path / "out")
    assert_identity(source, written)
    assert_same_masks(source_path, tmp_path / "out" / "annotations.json")
    _clean_names(written)
    assert report.findings == [], "\n".join(map(str, report.findings))
    # one object per annotation: what `labelview info` counts
    assert report.objects == len(source["annotations"])


@pytest.mark.samples
def test_panoptic_segments_keep_their_ids_bbox_and_area(samples: Path, tmp_path: Path) -> None:
    source_path = samples / "standard/coco/panopticapi_compressed-rle-and-panoptic_2img"
    source = json.loads((source_path / "panoptic_examples.json").read_text())
    written, report = _convert(source_path / "panoptic_examples.json", tmp_path / "out")
    segments = {
        (ann["image_id"], segment["id"]): segment
        for ann in source["annotations"]
        for segment in ann["segments_info"]
    }
    assert len(written["annotations"]) == len(segments)
    assert [i["id"] for i in written["images"]] == [i["id"] for i in source["images"]]
    assert [c["id"] for c in written["categories"]] == [c["id"] for c in source["categories"]]
    # Segment ids are unique per image only: a repeated one gets a fresh annotation id and is
    # kept in attributes.object_id (COCO annotation ids are unique over the file).
    fresh = 0
    for ann in written["annotations"]:
        given_id = ann.get("attributes", {}).get("object_id", ann["id"])
        fresh += given_id != ann["id"]
        segment = segments[(ann["image_id"], given_id)]
        for key in ("category_id", "bbox", "area", "iscrowd"):
            assert ann[key] == segment[key], (ann["id"], key)
    assert fresh == len(segments) - len({segment_id for _, segment_id in segments})
    _clean_names(written)
    assert report.findings == []


@pytest.mark.samples
@pytest.mark.parametrize("name", RESULTS_CASES)
def test_results_lists_are_written_as_a_dataset(samples: Path, tmp_path: Path, name: str) -> None:
    path = samples / "standard/coco/cocoapi_results-format_val2014" / name
    results = json.loads(path.read_text())
    written, report = _convert(path, tmp_path / "out")
    assert len(written["annotations"]) == len(results)
    assert sorted(i["id"] for i in written["images"]) == sorted({r["image_id"] for r in results})
    assert {c["id"] for c in written["categories"]} == {r["category_id"] for r in results}
    assert [a["id"] for a in written["annotations"]] == list(range(1, len(results) + 1))
    for ann, result in zip(written["annotations"], results, strict=True):
        assert (ann["image_id"], ann["category_id"]) == (result["image_id"], result["category_id"])
        assert ann["score"] == result["score"]
        if "bbox" in result:
            assert ann["bbox"] == result["bbox"]
        if "segmentation" in result:
            assert ann["segmentation"] == result["segmentation"]
        if "keypoints" in result:
            assert ann["keypoints"] == result["keypoints"]
    with contextlib.redirect_stdout(io.StringIO()):
        COCO(str(tmp_path / "out" / "annotations.json"))
    assert report.findings == []


@pytest.mark.samples
def test_encord_boxes_keep_their_rectangle_segmentation(samples: Path, tmp_path: Path) -> None:
    path = samples / "encord/encord-sdk_coco-export-example_image-bboxes.coco.json"
    dataset = _read(path)
    assert [o.kind for _, o in dataset.objects()] == ["box", "box"]  # Encord's shape hint
    written, _ = _convert(path, tmp_path / "out")
    source = json.loads(path.read_text())
    assert [a["segmentation"] for a in written["annotations"]] == [
        a["segmentation"] for a in source["annotations"]
    ]
    assert all(len(a["segmentation"][0]) == 8 for a in written["annotations"])
    # Encord's attribute keys as it wrote them (track_id number, uuid, manual_annotation, nesting)
    assert [a["attributes"] for a in written["annotations"]] == [
        a["attributes"] for a in source["annotations"]
    ]


@pytest.mark.samples
def test_info_counts_one_object_per_keypoint_annotation(samples: Path) -> None:
    path = samples / "standard/coco/mmpose_person-keypoints_4img/test_coco.json"
    assert _read(path).object_count == len(json.loads(path.read_text())["annotations"])
