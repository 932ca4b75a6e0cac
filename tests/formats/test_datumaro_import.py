"""Our COCO, YOLO, VOC and CVAT outputs are usable as they stand: Datumaro, an independent
importer, opens each one written from a real sample with images (default writer options) and
finds the items and objects our report says were written, and every image the labels name is in
the output.

Datumaro is a test-only extra (skipped when absent). COCO is imported once annotations.json is
also placed as annotations/<task>_default.json, the layout Datumaro expects (OUTDIR/annotations.json
stays). How Datumaro's annotations are counted as objects: see datumaro_support.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("datumaro", reason="Datumaro (test-only extra) is not installed")

from datumaro_support import IMPORTER, import_output, layout_hint, missing_images

from labelview import formats
from labelview.convert import convert

COCO = "standard/coco"
INSTANCES_TOY = f"{COCO}/datumaro_coco-instances_toy"
KEYPOINTS_TOY = f"{COCO}/datumaro_person-keypoints_toy"
PANOPTIC = f"{COCO}/panopticapi_compressed-rle-and-panoptic_2img"
YOLO = "standard/yolo"
VOC = "standard/voc"
LABELME = "standard/labelme"
DATALOOP = "dataloop"

# Samples whose every labelled image is in the samples folder, by case id (the first word names
# the source's format).
CASES: dict[str, str] = {
    "coco-labelme-instance-seg": f"{COCO}/labelme_instance-seg_voc2011-3img/annotations.json",
    "coco-datumaro-instances-train": f"{INSTANCES_TOY}/annotations/instances_train.json",
    "coco-datumaro-instances-val": f"{INSTANCES_TOY}/annotations/instances_val.json",
    "coco-datumaro-keypoints-train": f"{KEYPOINTS_TOY}/annotations/person_keypoints_train.json",
    "coco-datumaro-keypoints-val": f"{KEYPOINTS_TOY}/annotations/person_keypoints_val.json",
    "coco-mmpose-keypoints": f"{COCO}/mmpose_person-keypoints_4img/test_coco.json",
    "coco-panoptic-detection-rle": f"{PANOPTIC}/panoptic_coco_detection_format.json",
    "coco-panoptic": f"{PANOPTIC}/panoptic_examples.json",
    "yolo-ultralytics-detect": f"{YOLO}/datumaro-cvat_ultralytics-detect_toy",
    "yolo-ultralytics-segment": f"{YOLO}/datumaro-cvat_ultralytics-segment_toy",
    "yolo-ultralytics-pose": f"{YOLO}/datumaro-cvat_ultralytics-pose_toy",
    "yolo-ultralytics-obb": f"{YOLO}/datumaro-cvat_ultralytics-obb_toy",
    "yolo-darknet": f"{YOLO}/datumaro_yolo1.1-darknet_toy",
    "yolo-dtlpy-flat": f"{YOLO}/dtlpy-converters_detect-and-segment_coco-images_flat",
    "voc-dtlpy-voc2012": f"{VOC}/dtlpy-converters_voc2012-originals_10img",
    "voc-labelme-boxes": f"{VOC}/labelme_bbox-detection_voc2011-3img",
    "voc-labelme-masks": f"{VOC}/labelme_instance-seg-masks_voc2011-3img",
    "labelme-polygons-group-id": f"{LABELME}/labelme_polygons-group-id_voc2011-3img",
    "labelme-rectangles": f"{LABELME}/labelme_rectangles_voc2011-3img",
    "labelme-flags-only": f"{LABELME}/labelme_image-flags-only_2img",
    "labelme-embedded-image": f"{LABELME}/labelme_embedded-imageData_apc2016",
    "cvat-skeleton": "standard/cvat/datumaro-cvat_for-images-1.1_task-skeleton_toy",
    "dataloop-box-point-class": (
        f"{DATALOOP}/dtlpy-converters_2020-21_image_box-point-class-status.000000032817.json"
    ),
    "dataloop-v1-list-attributes": (
        f"{DATALOOP}/dtlpy-converters_2022_image_box_v1-list-attributes.2007_000032.json"
    ),
    "dataloop-segment-binary": (
        f"{DATALOOP}/dtlpy-converters_2024_image_segment-and-binary-mask.cat.json"
    ),
    "dataloop-attributes-null": (
        f"{DATALOOP}/dtlpy-converters_image_box_attributes-null.000000000009.json"
    ),
    "dataloop-item-metadata-box": (
        f"{DATALOOP}/dtlpy-documentation_2021_itemMetadata-format_box.apple_1.json"
    ),
    "dataloop-class-only": (
        f"{DATALOOP}/dtlpy-documentation_2021_itemMetadata-format_class.000037MA2.json"
    ),
    "dataloop-binary-masks": (
        f"{DATALOOP}/dtlpy-documentation_2022_sdk-download-format_binary-masks.hamster.json"
    ),
    "dataloop-export-tree": f"{DATALOOP}/yolov8-segmentation_2024_export-tree",
    # Only its cute-cat.mp4 row (see ONLY): every labelled frame of it is kept, as N.jpg.
    "encord-video-frames": "encord/encord-sdk-2022_image-groups-and-videos_bbox-polygon.json",
}
# The images folder to pass (`--images`) where the reader does not find the images by itself:
# Datumaro's COCO layout keeps them in ../images/<subset>/, the Dataloop export tree's are in
# dataloop/images/.
IMAGES: dict[str, str] = {
    "coco-datumaro-instances-train": f"{INSTANCES_TOY}/images/train",
    "coco-datumaro-instances-val": f"{INSTANCES_TOY}/images/val",
    "coco-datumaro-keypoints-train": f"{KEYPOINTS_TOY}/images/train",
    "coco-datumaro-keypoints-val": f"{KEYPOINTS_TOY}/images/val",
    "dataloop-export-tree": f"{DATALOOP}/images",
}
# Cases written from one item of the sample only (by item name): the others have no images.
ONLY: dict[str, str] = {"encord-video-frames": "cute-cat.mp4"}

# Known gaps, kept visible: the sample has shapes with `label=""`, which we keep as a class named
# "" (as given) and write as such; Datumaro refuses a label without a name on import.
GAPS: dict[str, str] = {
    "cvat-skeleton": 'shapes with label="" are written as a class with an empty name, which '
    "Datumaro's importers refuse",
}
# Left out, their labelled images are not all in the samples: Encord's image group (none of the 3
# labelled screenshots) and hafnia video (3 of 120 frames), Dataloop's 0000000162 (names a .png,
# only the .jpg is kept) and its 2019 video; Ango, DataGym and Segments.ai have no images.

TARGETS = tuple(IMPORTER)


def _chain(error: BaseException) -> str:
    """The error and its causes (Datumaro wraps the reason in 'Failed to import dataset')."""
    parts = []
    while error is not None and len(parts) < 5:
        parts.append(f"{type(error).__name__}: {error}")
        error = error.__cause__ or error.__context__
    return " <- ".join(parts)


@pytest.mark.samples
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_datumaro_opens_our_output(samples: Path, tmp_path: Path, case: str, target: str) -> None:
    source_format = case.split("-", 1)[0]
    if not formats.FORMATS[source_format].readable:
        pytest.skip(f"no {source_format} reader to read the sample with")
    gap = GAPS.get(case) or GAPS.get(f"{case}/{target}")
    if gap:
        pytest.xfail(gap)
    out = tmp_path / target
    images = samples / IMAGES[case] if case in IMAGES else None
    only = ONLY.get(case)
    report = convert(
        samples / CASES[case],
        out,
        to=target,
        images_dir=images,
        item_filter=None if only is None else lambda item: item.name == only,
    )
    written = report.targets[0]

    problems = []
    missing = missing_images(out, target)
    if missing:
        problems.append(f"the labels name {len(missing)} images the output lacks: {missing[:5]}")
    try:
        imported = import_output(out, target)
    except Exception as error:
        problems.append(f"Datumaro's {IMPORTER[target]} importer failed: {_chain(error)}")
        hint = layout_hint(out, target)
        if hint:
            problems.append(hint)
    else:
        if imported.without_image:
            problems.append(f"Datumaro found no image for: {imported.without_image[:5]}")
        if imported.without_points:
            problems.append(f"Datumaro read no keypoints for: {imported.without_points[:5]}")
        if (imported.items, imported.objects) != (written.items, written.objects):
            problems.append(
                f"Datumaro read {imported.items} items, {imported.objects} objects; our report says"
                f" {written.items} items, {written.objects} objects written"
            )
    assert not problems, "\n".join(problems)
