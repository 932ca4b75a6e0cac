"""`labelview compare` against pycocotools' COCOeval on the same ground truth and predictions.

    python bench/bench_evaluate.py [--images 10000] [--annotations 80000] [--iou-type bbox]

A synthetic ground truth (bench/make_coco.py) and predictions made from it with the seeded
perturbations of the tests (shifted, dropped, relabelled, extra, scored). Each side is timed in a
fresh subprocess from the files on disk:
- COCOeval: `COCO(gt)`, `loadRes(results)`, `evaluate()` + `accumulate()` (+ `summarize()`);
- labelview: both files read with our COCO reader, pictures paired, matched, per-class P/R/F1,
  the confusion matrix, and AP by faster-coco-eval (`labelview.evaluation.evaluate`).
Reports wall time and the largest difference between the two summaries (must be
< 1e-6). The target is labelview ≥ 5× faster at 100k images / 800k objects.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

_COCOEVAL = """
import contextlib, io, json, sys, time
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
gt_path, results_path, iou_type = sys.argv[1:4]
start = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):
    gt = COCO(gt_path)
    dt = gt.loadRes(results_path)
    ev = COCOeval(gt, dt, iou_type)
    ev.evaluate(); ev.accumulate(); ev.summarize()
print(json.dumps({"seconds": time.perf_counter() - start, "stats": list(map(float, ev.stats))}))
"""

_LABELVIEW = """
import json, sys, time
from labelview import formats
from labelview.evaluation import evaluate
gt_path, candidate_path, iou_type = sys.argv[1:4]
start = time.perf_counter()
reference = formats.read(gt_path, format="coco")
candidate = formats.read(candidate_path, format="coco")
result = evaluate(reference, candidate, iou_type=iou_type)
print(json.dumps({"seconds": time.perf_counter() - start, "stats": list(result.ap.stats.values()),
                  "tp": result.totals.tp, "fp": result.totals.fp, "fn": result.totals.fn}))
"""


def _run(code: str, *args: str) -> dict:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, cwd=ROOT
    )
    wall = time.perf_counter() - start
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--annotations", type=int, default=80_000)
    parser.add_argument("--iou-type", choices=("bbox", "segm"), default="bbox")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sys.path[:0] = [str(BENCH), str(ROOT / "tests" / "evaluation")]
    from make_coco import make
    from perturb import as_document, predictions

    with tempfile.TemporaryDirectory() as folder:
        truth = make(args.images, args.annotations, seed=args.seed)
        for number, ann in enumerate(truth["annotations"], start=1):
            ann["id"] = number  # pycocotools treats a match to id 0 as none
            ann.pop("attributes", None)
        results = predictions(truth, args.seed)
        gt_path = Path(folder) / "truth.json"
        results_path = Path(folder) / "results.json"
        candidate_path = Path(folder) / "candidate.json"
        gt_path.write_text(json.dumps(truth))
        results_path.write_text(json.dumps(results))
        candidate_path.write_text(json.dumps(as_document(truth, results)))
        print(
            f"{args.images:,} images, {len(truth['annotations']):,} truth objects, "
            f"{len(results):,} predictions, iou type {args.iou_type}"
        )
        ours = _run(_LABELVIEW, str(gt_path), str(candidate_path), args.iou_type)
        theirs = _run(_COCOEVAL, str(gt_path), str(results_path), args.iou_type)
    difference = max(abs(a - b) for a, b in zip(ours["stats"], theirs["stats"], strict=True))
    print(f"{'':<12} {'wall s':>8} {'in-process s':>13}")
    print(f"{'COCOeval':<12} {theirs['wall']:>8.1f} {theirs['seconds']:>13.1f}")
    print(f"{'labelview':<12} {ours['wall']:>8.1f} {ours['seconds']:>13.1f}")
    print(f"speed-up (wall): {theirs['wall'] / ours['wall']:.2f}×  (target ≥ 5×)")
    print(
        f"mAP COCOeval {theirs['stats'][0]:.6f}, labelview {ours['stats'][0]:.6f}; "
        f"largest summary difference {difference:.2e}"
    )
    print(f"labelview at IoU 0.5: TP {ours['tp']:,}, FP {ours['fp']:,}, FN {ours['fn']:,}")


if __name__ == "__main__":
    main()
