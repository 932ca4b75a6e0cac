"""Encord label-row reader: hand-made fixtures, the spec's worked examples, real samples."""

from __future__ import annotations

import json

import numpy as np
import pytest
from encord_support import DATA, ENCORD_SAMPLES, answers, item, obj, read
from pycocotools import mask as coco_mask

from labelview import images
from labelview.formats import encord
from labelview.formats.base import Confidence, Probe
from labelview.ops import rle

# --- real samples ---------------------------------------------------------------------------------


def sample(samples, name, ontology=None):
    folder = samples / "encord"
    return read(folder / name, ontology=folder / ontology if ontology else None)


@pytest.mark.samples
@pytest.mark.parametrize("name", ENCORD_SAMPLES)
def test_every_sample_reads_without_issues(samples, name):
    ontology = {
        "encord-platform-export_dicom-image-nifti_all-shapes.json": (
            "encord-platform-export_all-shapes.ontology.json"
        ),
        "encord-sdk_dicom_slice-metadata.json": (
            "encord-sdk_image_bbox-polygon-nested-attributes.ontology.json"
        ),
    }.get(name)
    dataset = sample(samples, name, ontology)
    assert dataset.issues == []
    assert dataset.object_count > 0


@pytest.mark.samples
def test_platform_export_all_shapes(samples):
    dataset = sample(
        samples,
        "encord-platform-export_dicom-image-nifti_all-shapes.json",
        "encord-platform-export_all-shapes.ontology.json",
    )
    image = item(dataset, "image.png")
    kinds = sorted(o.kind for o in image.objects)
    assert kinds == sorted(
        ["box", "rotated_box", "polygon", "polyline", "mask", "point", "keypoints"]
    )
    box = obj(image, "P/9LI504").geometry
    assert (box.x, box.y, box.w, box.h) == pytest.approx((35.08, 85.36, 48.84, 66.68))
    # The bitmask, decoded row-major, cross-checked with pycocotools' transposed decode.
    mask_obj = obj(image, "S8y9TRAJ")
    mask = mask_obj.geometry
    raw = mask.source.string
    reference = coco_mask.decode({"size": [400, 400], "counts": raw.encode()}).T.astype(bool)
    np.testing.assert_array_equal(mask.decode(), reference)
    ys, xs = np.nonzero(reference)
    assert mask.area == reference.sum() == 3408
    assert mask.bbox() == (xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
    # Skeleton with the older boolean flags; its ontology has no template, so no edges.
    skeleton = obj(image, "jXUPS9nV").geometry
    assert len(skeleton.names) == 7
    assert dataset.categories["skeleton"].skeleton.edges == ()
    # DICOM: a dynamic checklist answered as one action per option, on frame 0.
    dicom = item(dataset, "dicom")
    dicom_box = next(o for o in dicom.objects if o.kind == "box")
    values = {a.name: (a.value, a.frames) for a in dicom_box.attributes}
    assert values["box checklist"] == (["box checklist option 1", "box checklist option 0"], (0, 0))
    assert values["box text"] == ("wfwfwfw", None)
    assert [e.action for e in dicom.history].count("exported") == 2


@pytest.mark.samples
def test_skeleton_visibility_strings(samples):
    dataset = sample(samples, "encord-sdk_image_skeleton-visibility.json")
    (square,) = dataset.items[0].objects
    assert square.geometry.visibility.tolist() == [2, 1, 0, 1]
    np.testing.assert_allclose(square.geometry.points[0], [150, 112.5])
    assert dataset.categories["Square"].skeleton.edges == ((0, 1), (1, 2), (2, 3), (3, 0))


@pytest.mark.samples
def test_nested_attributes_sample(samples):
    dataset = sample(samples, "encord-sdk_image_bbox-polygon-nested-attributes.json")
    polygon = obj(dataset.items[0], "f7RpEkg5")
    assert answers(polygon.attributes) == {
        "Radio level 1 ": "1 option 2",
        "Radio level 1 /1 2 radio 1": "1 2 1 option ",
    }
    assert dataset.items[0].classifications[0].children[0].value == "The moon is pretty"


@pytest.mark.samples
def test_rotatable_2022_sample(samples):
    dataset = sample(samples, "encord-sdk-2022_image-group_rotatable-bboxes.json")
    boxes = [o.geometry for o in dataset.items[0].objects]
    assert sorted(round(b.angle, 1) for b in boxes)[-1] == 349.8
    for box in boxes:
        theta = np.radians(box.angle)
        dx, dy = -box.w / 2, -box.h / 2
        expected = (
            box.cx + np.cos(theta) * dx - np.sin(theta) * dy,
            box.cy + np.sin(theta) * dx + np.cos(theta) * dy,
        )
        np.testing.assert_allclose(box.corners()[0], expected)


@pytest.mark.samples
def test_dicom_dynamic_actions_on_their_frames(samples):
    dataset = sample(samples, "encord-sdk_dicom_dynamic-attribute-actions.json")
    dynamic = {
        o.frame: [a.frames for a in o.attributes if a.frames is not None]
        for o in dataset.items[0].objects
    }
    assert sorted(dynamic) == [86, 87, 88]
    assert dynamic[86]
    assert all(r == (f, f) for f in (86, 88) for r in dynamic[f])
    assert dynamic[87] == []


@pytest.mark.samples
def test_hafnia_production_video_and_its_frame_images(samples):
    dataset = sample(samples, "hafnia_midwest-vehicle-detection_video_bbox-polygon.json")
    (video,) = dataset.items
    assert dataset.counts()["kind"] == {"box": 655, "polygon": 360}
    assert len({o.track for o in video.objects}) == 50
    assert len(video.frames) == 120
    assert len(video.classifications) == 6
    assert all(a.frames == (0, 119) for a in video.classifications)
    frames = {f.index: f for f in video.frames}
    title = "968a1b31-4a22-4c3e-bf36-5cd60281954b_1fps.mp4"
    assert frames[2].image == f"{title}/2.png"
    assert frames[1].image is None
    assert images.resolve(dataset) == 3
    assert frames[6].image_path.name == "6.png"


@pytest.mark.samples
def test_cute_cat_frames_resolve(samples):
    dataset = sample(samples, "encord-sdk-2022_image-groups-and-videos_bbox-polygon.json")
    cat = item(dataset, "cute-cat.mp4")
    assert [f.image for f in cat.frames] == [f"cute-cat.mp4/{i}.jpg" for i in range(4)]
    images.resolve(dataset)
    assert all(f.image_path is not None for f in cat.frames)


# --- end to end: Encord → COCO --------------------------------------------------------------------


def test_convert_to_coco_end_to_end(tmp_path):
    from labelview import cli

    out = tmp_path / "coco"
    assert cli.main(["convert", str(DATA / "mini.json"), "--to", "coco", "-o", str(out)]) == 0
    coco = json.loads((out / "annotations.json").read_text())
    images_by_id = {im["id"]: im for im in coco["images"]}
    categories = {c["id"]: c for c in coco["categories"]}
    by_track: dict[str, list[dict]] = {}
    for ann in coco["annotations"]:
        by_track.setdefault(ann["attributes"]["track_id"], []).append(ann)

    # Masks: column-major COCO RLE that pycocotools decodes to the row-major Encord pixels.
    (blob,) = by_track["blob0001"]
    decoded = coco_mask.decode(
        {"size": blob["segmentation"]["size"], "counts": blob["segmentation"]["counts"].encode()}
    )
    np.testing.assert_array_equal(decoded, [[0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]])
    assert blob["area"] == 5
    (pasted,) = by_track["blob0003"]
    seg = pasted["segmentation"]
    assert np.argwhere(coco_mask.decode({**seg, "counts": seg["counts"].encode()})).tolist() == [
        [1, 3],
        [2, 2],
    ]
    # The polygon with a hole goes out as RLE: the hole stays empty.
    (lake,) = by_track["lake0001"]
    lake_mask = coco_mask.decode(
        {**lake["segmentation"], "counts": lake["segmentation"]["counts"].encode()}
    )
    assert lake_mask[20, 130]
    assert not lake_mask[35, 150]

    # Rotated box: its four rotated corners plus the rotation.
    (sign,) = by_track["sign0001"]
    assert sign["attributes"]["rotation"] == 90
    np.testing.assert_allclose(sign["segmentation"][0], [135, 40, 135, 60, 85, 60, 85, 40])

    # Keypoints with visibility, names and 1-based edges on the category.
    (person,) = by_track["pers0001"]
    assert person["keypoints"] == [60, 10, 2, 60, 50, 1, 0, 0, 0, 70, 90, 1]
    assert person["num_keypoints"] == 3
    assert categories[person["category_id"]]["skeleton"] == [[1, 2], [2, 3], [2, 4]]

    # Attributes, confidence, manual/model and track ids.
    (car,) = by_track["car+/001"]
    assert car["attributes"]["Colour"] == "Red"
    assert car["attributes"]["Colour/Shade"] == "Dark red"
    assert car["attributes"]["Damage"] == ["Dent", "Scratch"]
    assert car["score"] == pytest.approx(0.87)  # a model label: the score says so
    assert sign["attributes"]["source"] == "manual"
    track = sorted(by_track["trk00001"], key=lambda a: a["bbox"][0])
    assert [a["bbox"][0] for a in track] == [25, 50, 75, 100]
    assert [a["attributes"]["State"] for a in track] == ["Parked", "Parked", "Moving", "Moving"]
    assert {images_by_id[a["image_id"]]["width"] for a in track} == {200}


def test_vectorised_run_check_matches_the_reference_codec():
    rng = np.random.default_rng(3)
    strings = ["12202O", "02220N:0F20N", "`[T2n0bZT2", ":b15aN", "@", "0"]
    strings += [rle.counts_to_string(rng.integers(0, 70_000, n).tolist()) for n in range(1, 40)]
    for string in strings:
        runs = rle.string_to_counts(string)
        assert encord.run_stats(string) == (sum(runs), min(runs)), string
    with pytest.raises(ValueError, match="truncated"):
        encord.run_stats("0h")
    with pytest.raises(ValueError, match="invalid"):
        encord.run_stats("12 ")


def test_detects_key_sorted_rows_whose_data_units_come_late(tmp_path):
    answers = {
        f"c{i:05d}": {"classificationHash": f"c{i:05d}", "classifications": []} for i in range(3000)
    }
    row = {"annotation_task_status": "QUEUED", "classification_answers": answers, "data_units": {}}
    path = tmp_path / "sorted.json"
    path.write_text(json.dumps([row], sort_keys=True))
    probe = Probe.of(path)
    assert b'"data_units"' not in probe.head
    assert encord.detect(probe).confidence == Confidence.CERTAIN


def test_image_sequence_is_a_sequence(tmp_path):
    rows = json.loads((DATA / "mini.json").read_text())
    group = next(r for r in rows if r["data_type"] == "img_group")
    group["is_image_sequence"] = True
    path = tmp_path / "seq.json"
    path.write_text(json.dumps([group]))
    (sequence,) = read(path).items
    assert sequence.kind == "sequence"
    assert sorted((o.frame, o.track) for o in sequence.objects) == [
        (0, "grp00001"),
        (1, "grp00001"),
    ]


@pytest.mark.samples
def test_image_group_frames_find_their_screenshots(samples):
    dataset = sample(samples, "encord-sdk_image-group_5-images.json")
    (group,) = dataset.items
    assert [f.index for f in group.frames] == [0, 1, 2, 3, 4]  # from string data_sequence
    assert group.frames[4].image == "Screenshot 2021-11-24 at 18.36.19.png"
    assert images.resolve(dataset) == 2
    assert group.frames[3].image_path.name == "Screenshot 2021-11-24 at 18.36.11.png"


@pytest.mark.samples
def test_skeleton_template_variant_ontology(samples):
    path = samples / "encord" / "encord-sdk_ontology_skeleton-template-variant.ontology.json"
    onto = encord.Ontology(json.loads(path.read_text()))
    (template,) = {id(t): t for t in onto.templates.values()}.values()
    skeleton, by_hash, by_key = encord.skeleton_of(template)
    # Points without featureHash (matched by key), a 5-digit colour (ignored), `feature_node_hash`.
    assert skeleton.names == ("point_0", "point_1")
    assert skeleton.edges == ((0, 1),)
    assert by_hash == {}
    assert by_key == {"0": 0, "1": 1}
    assert onto.template_for("c67522ee", None) is template
