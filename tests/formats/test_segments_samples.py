"""Segments.ai release reader: generations, labelsets, bitmaps, vectors, sequences, file lookup."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import needs_writer
from PIL import Image
from segments_support import IDS, by_id, read, write_rgba

from labelview.formats import segments
from labelview.formats.base import Confidence, Probe, ReadContext
from labelview.ops import rle

# --- real and documented samples ------------------------------------------------------------------

SEGMENTS_SAMPLES = {
    "norlab-droneSegmentation_2024_segmentation-bitmap_Data_Labeling_species-8th-export"
    ".release.json": (10, 33, 0),
    "norlab-droneSegmentation_2024_segmentation-bitmap_Data_Labeling_species-9th-export"
    "_with-unlabeled.release.json": (10, 18, 4),
    "reefsupport-marine-data_coral-reef-v0.4_TRIMMED-2-samples.release.json": (2, 9, 0),
    "synthetic/synthetic_vector_bbox-polygon-polyline-point.release.synthetic.json": (2, 4, 1),
    "synthetic/synthetic_image-vector-sequence_3-frames_tracks.release.synthetic.json": (1, 5, 0),
    "synthetic/synthetic_segmentation-bitmap_8x6.release.synthetic.json": (1, 6, 0),
}


@pytest.mark.samples
@pytest.mark.parametrize("name", sorted(SEGMENTS_SAMPLES))
def test_samples_read_without_errors(samples: Path, name: str) -> None:
    path = samples / "segments" / name
    assert segments.detect(Probe.of(path)).confidence == Confidence.CERTAIN
    dataset, issues = read(path)
    items, objects, unlabeled = SEGMENTS_SAMPLES[name]
    assert (len(dataset.items), dataset.object_count) == (items, objects)
    assert sum(item.status == "UNLABELED" for item in dataset.items) == unlabeled
    assert not [i for i in issues if i.level == "error"]


@pytest.mark.samples
def test_real_release_categories_start_at_zero(samples: Path) -> None:
    dataset, _ = read(
        samples / "segments" / "reefsupport-marine-data_coral-reef-v0.4_TRIMMED-2-samples"
        ".release.json"
    )
    assert dataset.categories["Hard Coral"].id == 0
    assert dataset.categories["Sponge"].color == (236, 176, 31)
    assert [i.status for i in dataset.items] == ["LABELED", "REVIEWED"]
    assert dataset.counts()["category"] == {"Hard Coral": 6, "Soft Coral": 3}


@pytest.mark.samples
def test_synthetic_bitmap_matches_its_documented_ids(samples: Path) -> None:
    folder = samples / "segments" / "synthetic"
    truth = np.array(
        json.loads((folder / "synthetic_segmentation-bitmap_8x6.expected-ids.json").read_text())[
            "instance_ids_row_major"
        ]
    )
    dataset, issues = read(folder / "synthetic_segmentation-bitmap_8x6.release.synthetic.json")
    objects = by_id(dataset.items[0])
    for ident in (1, 2, 257, 65793, 16777215):
        mask = objects[str(ident)].geometry.decode()
        assert np.array_equal(mask, truth == ident), ident
    assert int(objects["16777215"].geometry.decode().sum()) == 1
    assert objects["99"].geometry is None
    assert any("annotation id 99 has no pixels" in i.message for i in issues)
    assert [(a.name, a.value) for a in dataset.items[0].classifications][:2] == [
        ("scene_type", "highway"),
        ("weather", "fog"),
    ]


@pytest.mark.samples
def test_sdk_payloads_of_every_task_type_read(samples: Path, tmp_path: Path) -> None:
    payloads = json.loads(
        (
            samples
            / "segments"
            / "documented"
            / "segments-sdk-test-payloads_sample-and-label-attributes.extracted.json"
        ).read_text()
    )
    sample_kind = {
        "image-segmentation": "image",
        "image-vector": "image",
        "image-sequence-vector": "image-sequence",
        "pointcloud-segmentation": "pointcloud",
        "pointcloud-cuboid": "pointcloud",
        "pointcloud-sequence-segmentation": "pointcloud-sequence",
        "pointcloud-sequence-cuboid": "pointcloud-sequence",
        "pointcloud-sequence-vector": "pointcloud-sequence",
        "multi-sensor": "multi-sensor",
    }
    labels = payloads["label_attributes_by_type"]
    samples_list = [
        {
            "uuid": kind,
            "name": kind,
            "attributes": payloads["sample_attributes_by_type"][sample_kind[kind]],
            "labels": {"ground-truth": {"label_status": "LABELED", "attributes": labels[kind]}},
        }
        for kind in sample_kind
    ]
    release = {
        "name": "payloads",
        "dataset": {
            "task_attributes": payloads["dataset_task_attributes_example"],
            "labelsets": [{"name": "ground-truth", "is_groundtruth": True}],
            "samples": samples_list,
        },
    }
    path = tmp_path / "payloads.json"
    path.write_text(json.dumps(release))
    dataset, issues = read(path)
    assert not [i for i in issues if i.level == "error"]
    items = {item.id: item for item in dataset.items}
    # 2D shapes come from image-vector, the image sequence and the multi-sensor's camera only.
    kinds = dataset.counts()["kind"]
    assert [kinds[k] for k in ("box", "polygon", "polyline", "point")] == [3, 3, 3, 3]
    sequence = items["image-sequence-vector"]
    assert sorted({o.track for o in sequence.objects}) == ["3", "4", "5", "6"]  # track_id, not id
    assert all(o.geometry is None for o in items["pointcloud-cuboid"].objects)
    assert items["multi-sensor"].extra["shown_sensor"] == "Camera 1"
    assert len(items["multi-sensor"].objects) == 4


# --- end to end: convert to COCO, YOLO-seg and PNG masks ------------------------------------------


@pytest.fixture
def with_image(bitmap_release: Path) -> Path:
    Image.new("RGB", (8, 6)).save(bitmap_release.parent / "street 1.jpg")
    return bitmap_release


def test_convert_to_coco_keeps_instance_masks_as_rle(with_image: Path, tmp_path: Path) -> None:
    from labelview.convert import convert

    needs_writer("coco")
    convert(with_image, tmp_path / "coco", "coco")
    [out] = (tmp_path / "coco").glob("*.json")
    coco = json.loads(out.read_text())
    names = {c["id"]: c["name"] for c in coco["categories"]}
    # The release's ids are kept (category_ids=source): Segments category 0 is a class.
    assert names[0] == "road"
    masks = {}
    for annotation in coco["annotations"]:
        assert isinstance(annotation["segmentation"], dict)  # RLE, not traced polygons
        masks[names[annotation["category_id"]]] = rle.decode_coco(annotation["segmentation"])
    assert np.array_equal(masks["road"], IDS == 1)
    assert np.array_equal(masks["person"], IDS == 70000)  # an id above 65535 survives
    assert int(masks["car"].sum()) == 8


def test_convert_to_yolo_segment_and_png_masks(with_image: Path, tmp_path: Path) -> None:
    from labelview.convert import convert

    needs_writer("yolo")
    needs_writer("masks")
    report = convert(with_image, tmp_path / "yolo", "yolo", options={"yolo": {"task": "segment"}})
    [labels] = list((tmp_path / "yolo" / "labels").rglob("*.txt"))
    lines = labels.read_text().splitlines()
    assert len(lines) == 4 == report.targets[0].objects  # road, car, person, unknown
    first = [float(v) for v in lines[0].split()[1:]]
    xs, ys = first[0::2], first[1::2]
    assert (min(xs), max(xs), min(ys), max(ys)) == pytest.approx(
        (1 / 8, 4 / 8, 1 / 6, 3 / 6), abs=1e-6
    )
    convert(with_image, tmp_path / "masks", "masks")
    instances = np.array(Image.open(tmp_path / "masks" / "SegmentationObject" / "street 1.png"))
    assert instances.shape == IDS.shape
    assert np.array_equal(instances > 0, IDS > 0)  # every labelled pixel, nothing else
    assert len(np.unique(instances[IDS == 70000])) == 1


def test_image_segmentation_sequence_and_size_mismatch(tmp_path: Path) -> None:
    write_rgba(tmp_path / "f0-label.png", IDS)
    Image.new("RGB", (10, 6)).save(tmp_path / "f0.jpg")  # the bitmap is 8×6: a located warning
    frames = [{"image": {"url": f"https://example.invalid/f{i}.jpg"}} for i in range(2)]
    label_frames = [
        {
            "annotations": [{"id": 2, "track_id": 40, "category_id": 0, "is_keyframe": True}],
            "segmentation_bitmap": {"url": "https://example.invalid/f0-label.png"},
        },
        {"annotations": [], "segmentation_bitmap": None},
    ]
    release = {
        "dataset": {
            "task_type": "image-segmentation-sequence",
            "task_attributes": {"categories": [{"id": 0, "name": "car"}]},
            "labelsets": [{"name": "ground-truth", "is_groundtruth": True}],
            "samples": [
                {
                    "uuid": "q",
                    "name": "clip",
                    "attributes": {"frames": frames},
                    "labels": {
                        "ground-truth": {
                            "label_status": "LABELED",
                            "attributes": {"format_version": "0.2", "frames": label_frames},
                        }
                    },
                }
            ],
        }
    }
    path = tmp_path / "release.json"
    path.write_text(json.dumps(release))
    dataset, issues = read(path)
    [item] = dataset.items
    [obj] = [o for o in item.objects if o.category == "car"]
    assert sorted(o.id for o in item.objects if o.category == "unknown") == ["1", "300", "70000"]
    assert (obj.frame, obj.track, obj.id) == (0, "40", "2")
    assert int(obj.geometry.decode().sum()) == 8
    assert (item.frames[0].width, item.frames[0].height) == (10, 6)
    [mismatch] = [i for i in issues if "is 8×6, the image 10×6" in i.message]
    assert mismatch.where == "dataset.samples[0].labels.ground-truth.attributes.frames[0]" + (
        ".segmentation_bitmap"
    )


def test_2020_tasks_list_with_upload_style_objects(tmp_path: Path, data: Path) -> None:
    release = json.loads((data / "segments" / "legacy_2020_release.json").read_text())
    tasks = release["dataset"]["tasks"]
    release["dataset"]["tasks"] = [{"name": name, **task} for name, task in tasks.items()]
    label = release["dataset"]["samples"][0]["labels"]["segmentation"]["attributes"]
    label["segmentation_bitmap_url"] = "https://example.invalid/pet-label.png"
    label["objects"] = [{"instance_id": 2, "category_id": 1}]
    del label["segmentation_bitmap"], label["annotations"]
    path = tmp_path / "release.json"
    path.write_text(json.dumps(release))
    write_rgba(tmp_path / "pet-label.png", IDS)
    dataset, issues = read(path, check_bitmaps=False)
    [obj] = dataset.items[0].objects
    assert (obj.category, obj.id) == ("cat", "2")
    assert not [i for i in issues if i.level == "error"]
    assert int(obj.geometry.decode().sum()) == 8
    assert dataset.meta["labelset"] == "segmentation"


def test_sequence_frames_found_by_url_name_or_frame_name(tmp_path: Path, data: Path) -> None:
    shutil.copy(data / "segments" / "sequence_release.json", tmp_path / "release.json")
    Image.new("RGB", (4, 3)).save(tmp_path / "0002.jpg")  # the URL's file name
    (tmp_path / "frames").mkdir()
    Image.new("RGB", (5, 3)).save(tmp_path / "frames" / "first.jpg")  # the frame's name
    dataset, issues = read(tmp_path / "release.json")
    frames = dataset.items[0].frames
    assert [f.image_path for f in frames] == [
        tmp_path / "frames" / "first.jpg",
        tmp_path / "0002.jpg",
        None,
    ]
    assert [(f.width, f.height) for f in frames[:2]] == [(5, 3), (4, 3)]
    assert [i.where for i in issues if "image not found" in i.message] == [
        "dataset.samples[0].attributes.frames[2].image.url"
    ]


# --- canonical image names ------------------------------------------------------------------------


def _vector_release(tmp_path: Path, samples: list[dict]) -> Path:
    release = {
        "name": "v1",
        "dataset": {
            "name": "streets",
            "owner": "tester",
            "task_type": "vector",
            "task_attributes": {"categories": [{"id": 1, "name": "car"}]},
            "labelsets": [{"name": "ground-truth", "is_groundtruth": True}],
            "samples": samples,
        },
    }
    path = tmp_path / "release.json"
    path.write_text(json.dumps(release))
    return path


def _image_sample(uuid: str, name: str, url: str) -> dict:
    box = {"id": 1, "category_id": 1, "type": "bbox", "points": [[1, 1], [3, 3]]}
    return {
        "uuid": uuid,
        "name": name,
        "attributes": {"image": {"url": url}},
        "labels": {
            "ground-truth": {"label_status": "LABELED", "attributes": {"annotations": [box]}}
        },
    }


def test_items_are_named_as_the_sdk_downloads_them(tmp_path: Path) -> None:
    from labelview.formats._writing import pictures

    path = _vector_release(
        tmp_path,
        [
            _image_sample("a", "photo", "https://segmentsai-prod.s3.eu-west-2.amazonaws.com/x.png"),
            _image_sample("b", "IMG 2.JPG", "https://example.invalid/assets/u/y.jpg?X-Sig=1"),
            _image_sample("c", "no-suffix.jpg", "https://example.invalid/assets/u/z"),
        ],
    )
    # The SDK's cache: segments/<owner>_<dataset>/<release>/<sample stem><URL suffix>
    cache = tmp_path / "segments" / "tester_streets" / "v1"
    cache.mkdir(parents=True)
    Image.new("RGB", (8, 6)).save(cache / "photo.png")
    dataset, issues = read(path)
    found, missing, bare = dataset.items
    assert [found.name, missing.name, bare.name] == ["photo.png", "IMG 2.jpg", "no-suffix.jpg"]
    assert missing.extra["sample_name"] == "IMG 2.JPG"
    assert found.image_path == cache / "photo.png"
    assert (found.width, found.height) == (8, 6)
    assert missing.image_path is None
    names = [pictures(item, [tmp_path])[0].name for item in dataset.items]
    # As found, relative to the release's folder; else the SDK's name; never the URL.
    assert names == ["segments/tester_streets/v1/photo.png", "IMG 2.jpg", "no-suffix.jpg"]
    assert [i.where for i in issues if "image not found" in i.message] == [
        "dataset.samples[1].attributes.image.url",
        "dataset.samples[2].attributes.image.url",
    ]


def test_url_map_matches_signed_urls_without_their_query(tmp_path: Path) -> None:
    url = "https://segmentsai-prod.s3.eu-west-2.amazonaws.com/assets/u/y.jpg"
    path = _vector_release(tmp_path, [_image_sample("b", "b.jpg", url + "?X-Amz-Signature=abc")])
    (tmp_path / "store").mkdir()
    Image.new("RGB", (4, 2)).save(tmp_path / "store" / "local.jpg")
    url_map = tmp_path / "map.json"
    url_map.write_text(json.dumps({url: "store/local.jpg"}))
    ctx = ReadContext(file=path, url_map=url_map)
    dataset = segments.read(path, ctx)
    assert dataset.items[0].image_path == tmp_path / "store" / "local.jpg"
    assert not [i for i in ctx.issues if "not found" in i.message]


def test_sequence_frames_found_under_their_canonical_name(tmp_path: Path, data: Path) -> None:
    shutil.copy(data / "segments" / "sequence_release.json", tmp_path / "release.json")
    Image.new("RGB", (4, 3)).save(tmp_path / "clip_7-00003.jpg")
    dataset, _ = read(tmp_path / "release.json")
    frames = dataset.items[0].frames
    assert frames[2].image_path == tmp_path / "clip_7-00003.jpg"
    assert (frames[2].width, frames[2].height) == (4, 3)


def test_broken_values_are_located_and_the_rest_loads(tmp_path: Path) -> None:
    bad = _image_sample("a", "a.jpg", "https://example.invalid/a.jpg")
    annotations = bad["labels"]["ground-truth"]["attributes"]["annotations"]
    annotations.append({"id": 2, "category_id": 1, "type": "point", "points": [["x", 1]]})
    annotations.append({"id": 3, "category_id": 1, "type": "bbox", "points": [[1e12, 0], [1, 1]]})
    path = _vector_release(tmp_path, [bad, {"uuid": {"not": "text"}}])
    dataset, issues = read(path)
    assert [obj.id for obj in dataset.items[0].objects] == ["1"]
    located = {i.where: i.message for i in issues}
    base = "dataset.samples[0].labels.ground-truth.attributes.annotations"
    assert located[f"{base}[1]"] == "annotation skipped: x must be a number, got 'x'"
    assert "far outside any image" in located[f"{base}[2]"]
    assert located["dataset.samples[1]"] == "sample skipped: uuid must be text, got an object"
