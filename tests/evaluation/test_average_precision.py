"""AP/mAP equal pycocotools' COCOeval on real COCO files with seeded perturbed predictions.

The oracle reads the raw files with pycocotools; labelview reads the same files with its own
reader, pairs the pictures, builds its own COCO documents and scores them with faster-coco-eval.
So the reading, pairing, document building and the engine are all checked together.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
from perturb import as_document, predictions
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from labelview import formats
from labelview.evaluation import evaluate
from labelview.evaluation.matching import DEFAULT_SIGMA

CASES = {
    "labelme-voc2011": "standard/coco/labelme_instance-seg_voc2011-3img/annotations.json",
    "datumaro-instances": "standard/coco/datumaro_coco-instances_toy/annotations/"
    "instances_val.json",
    "mmpose-keypoints": "standard/coco/mmpose_person-keypoints_4img/test_coco.json",
    "panopticapi-rle-crowd": "standard/coco/panopticapi_compressed-rle-and-panoptic_2img/"
    "panoptic_coco_detection_format.json",
    "datumaro-keypoints": "standard/coco/datumaro_person-keypoints_toy/annotations/"
    "person_keypoints_val.json",
}


def _oracle(truth_path: Path, results: list[dict], iou_type: str, points: int) -> np.ndarray:
    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO(str(truth_path))
        found = truth.loadRes(json.loads(json.dumps(results)))
        evaluator = COCOeval(truth, found, iou_type)
        if iou_type == "keypoints" and points != 17:
            evaluator.params.kpt_oks_sigmas = np.full(points, DEFAULT_SIGMA)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return np.asarray(evaluator.stats)


@pytest.mark.samples
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("case", sorted(CASES))
def test_ap_equals_cocoeval_on_perturbed_predictions(samples, case, seed, tmp_path) -> None:
    truth = json.loads((samples / CASES[case]).read_text())
    # pycocotools counts a match to annotation id 0 as no match (its `dtm` holds matched ids and
    # tests them for truth): number the oracle's ground truth from 1. Our own documents always do.
    for number, ann in enumerate(truth["annotations"], start=1):
        ann["id"] = number
    truth_path = tmp_path / "truth.json"
    truth_path.write_text(json.dumps(truth))
    results = predictions(truth, seed)
    candidate_path = tmp_path / "predictions.json"
    candidate_path.write_text(json.dumps(as_document(truth, results)))
    reference = formats.read(truth_path, format="coco")
    candidate = formats.read(candidate_path, format="coco")
    points = next((len(a["keypoints"]) // 3 for a in truth["annotations"] if a.get("keypoints")), 0)
    kinds = ["bbox", "segm"] + (["keypoints"] if points else [])
    checked = 0
    for iou_type in kinds:
        expected = _oracle(truth_path, results, iou_type, points)
        if iou_type == "keypoints":
            found = evaluate(reference, candidate).ap.keypoints
        else:
            found = evaluate(reference, candidate, iou_type=iou_type).ap.stats
        assert found is not None, iou_type
        np.testing.assert_allclose(list(found.values()), expected, atol=1e-6, err_msg=iou_type)
        checked += 1
    assert checked == len(kinds)


def test_a_match_to_annotation_id_zero_counts(tmp_path) -> None:
    """The quirk the oracle test works around is not ours: ids are renumbered in our documents."""
    document = {
        "images": [{"id": 0, "file_name": "a.jpg", "width": 50, "height": 40}],
        "categories": [{"id": 1, "name": "cat"}],
        "annotations": [
            {"id": 0, "image_id": 0, "category_id": 1, "bbox": [5, 5, 20, 10], "area": 200}
        ],
    }
    truth_path = tmp_path / "truth.json"
    truth_path.write_text(json.dumps(document))
    document["annotations"][0]["score"] = 0.9
    candidate_path = tmp_path / "predictions.json"
    candidate_path.write_text(json.dumps(document))
    result = evaluate(formats.read(truth_path), formats.read(candidate_path))
    assert result.ap.stats["AP"] == pytest.approx(1.0)
    assert (result.totals.tp, result.totals.fp, result.totals.fn) == (1, 0, 0)
