"""Evaluation of one export against another (predictions against ground truth, or two labelers).

Qt-free. `evaluate(reference, candidate, iou=0.5, score=0.3)` pairs the two exports' pictures
frame by frame (`pairing`), matches their objects the COCO way and across classes (`matching`),
and returns per-class precision / recall / F1, a confusion matrix with a background row and
column, the worst pictures and COCO's AP summary (`metrics`, `average_precision`).
"""

from labelview.evaluation.metrics import BACKGROUND, ClassRow, Evaluation, PictureResult, evaluate
from labelview.evaluation.pairing import PicturePair, pair

__all__ = [
    "BACKGROUND",
    "ClassRow",
    "Evaluation",
    "PicturePair",
    "PictureResult",
    "evaluate",
    "pair",
]
