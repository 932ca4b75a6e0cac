"""Per-class precision / recall / F1 at a threshold, a confusion matrix, the worst pictures.

`evaluate(reference, candidate)` pairs the pictures of two exports (`pairing`), keeps the
candidates at or above the confidence threshold, matches each pair (`matching`) and counts:
- per class: TP (matched within the class), FP (candidates of the class left unmatched, wrong
  class included), FN (reference objects of the class left unmatched, wrong class included);
- the confusion matrix: rows are the reference's classes, columns the candidate's, each with a
  last *background* entry — a FP is (background, predicted class), a FN (true class, background);
- AP/mAP the COCO way (`average_precision`), over all candidates whatever the threshold, since AP
  integrates over every threshold.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labelview.cancel import checked
from labelview.evaluation.matching import Matches, match, score_of
from labelview.evaluation.pairing import PicturePair, pair
from labelview.model import Dataset

BACKGROUND = "(background)"


@dataclass(slots=True)
class PictureResult:
    pair: PicturePair
    matches: Matches

    @property
    def errors(self) -> int:
        m = self.matches
        return len(m.false_positives) + len(m.false_negatives) + len(m.wrong_class)


@dataclass(frozen=True, slots=True)
class ClassRow:
    name: str
    tp: int
    fp: int
    fn: int
    references: int  # reference objects of the class (crowd regions excluded)
    candidates: int  # candidates of the class at or above the threshold (crowd hits excluded)

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(slots=True)
class Evaluation:
    iou: float
    score: float
    pictures: list[PictureResult]
    classes: list[str]  # every class either side uses, reference order first
    rows: dict[str, ClassRow]
    confusion: np.ndarray  # (K+1) × (K+1): reference class × candidate class, background last
    ap: Any = None  # average_precision.APResult, when computed
    notes: list[str] = field(default_factory=list)

    @property
    def totals(self) -> ClassRow:
        return ClassRow(
            "all",
            sum(r.tp for r in self.rows.values()),
            sum(r.fp for r in self.rows.values()),
            sum(r.fn for r in self.rows.values()),
            sum(r.references for r in self.rows.values()),
            sum(r.candidates for r in self.rows.values()),
        )

    @property
    def wrong_class(self) -> int:
        return sum(len(p.matches.wrong_class) for p in self.pictures)

    def worst(self, count: int = 10) -> list[PictureResult]:
        """The pictures with the most errors, most first (ties by name)."""
        ranked = sorted(
            (p for p in self.pictures if p.errors), key=lambda p: (-p.errors, p.pair.name)
        )
        return ranked[:count]

    def to_json(self) -> dict[str, Any]:
        def row(r: ClassRow) -> dict[str, Any]:
            result = {
                "class": r.name,
                "tp": r.tp,
                "fp": r.fp,
                "fn": r.fn,
                "references": r.references,
                "candidates": r.candidates,
                "precision": r.precision,
                "recall": r.recall,
                "f1": r.f1,
            }
            if self.ap is not None:
                result["ap"] = self.ap.per_class.get(r.name)
                result["ap50"] = self.ap.per_class_50.get(r.name)
            return result

        return {
            "iou": self.iou,
            "score": self.score,
            "classes": [row(self.rows[name]) for name in self.classes],
            "all": row(self.totals),
            "wrong_class": self.wrong_class,
            "confusion": {
                "labels": [*self.classes, BACKGROUND],
                "rows": "reference",
                "columns": "candidate",
                "matrix": self.confusion.astype(int).tolist(),
            },
            "average_precision": self.ap.to_json() if self.ap is not None else None,
            "worst": [
                {
                    "image": p.pair.name,
                    "errors": p.errors,
                    "fp": len(p.matches.false_positives),
                    "fn": len(p.matches.false_negatives),
                    "wrong_class": len(p.matches.wrong_class),
                }
                for p in self.worst(20)
            ],
            "pictures": len(self.pictures),
            "notes": list(self.notes),
        }


def evaluate(
    reference: Dataset,
    candidate: Dataset,
    *,
    iou: float = 0.5,
    score: float = 0.0,
    average_precision: bool = True,
    iou_type: str | None = None,
    cancel: Any = None,
) -> Evaluation:
    """Compare `candidate` (predictions, or a second labeler) against `reference`.

    `iou_type` forces COCO's "bbox" or "segm" evaluation for AP (default: chosen by the shapes).
    `cancel`: as for `labelview.cancel.checked`.
    """
    categories = {**candidate.categories, **reference.categories}
    pairs = pair(reference, candidate, cancel)
    results = []
    for p in checked(pairs, cancel):
        refs = p.reference.objects if p.reference else []
        cands = [o for o in (p.candidate.objects if p.candidate else []) if score_of(o) >= score]
        refs = [o for o in refs if o.geometry is not None]
        cands = [o for o in cands if o.geometry is not None]
        results.append(
            PictureResult(p, match(cands, refs, p.size, threshold=iou, categories=categories))
        )
    classes = _classes(reference, candidate, results)
    index = {name: i for i, name in enumerate(classes)}
    background = len(classes)
    confusion = np.zeros((len(classes) + 1, len(classes) + 1), dtype=np.int64)
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for result in results:
        m = result.matches
        for ref, _cand, _ in m.true_positives:
            tp[ref.category] += 1
            confusion[index[ref.category], index[ref.category]] += 1
        for ref, cand, _ in m.wrong_class:
            fn[ref.category] += 1
            fp[cand.category] += 1
            confusion[index[ref.category], index[cand.category]] += 1
        for cand in m.false_positives:
            fp[cand.category] += 1
            confusion[background, index[cand.category]] += 1
        for ref in m.false_negatives:
            fn[ref.category] += 1
            confusion[index[ref.category], background] += 1
    rows = {
        name: ClassRow(
            name,
            tp[name],
            fp[name],
            fn[name],
            references=tp[name] + fn[name],
            candidates=tp[name] + fp[name],
        )
        for name in classes
    }
    evaluation = Evaluation(iou, score, results, classes, rows, confusion)
    unpaired = sum(1 for p in pairs if p.reference is None or p.candidate is None)
    if unpaired:
        evaluation.notes.append(
            f"{unpaired} image(s) are in one export only; their objects count as missed or extra"
        )
    if average_precision:
        from labelview.evaluation.average_precision import compute

        evaluation.ap = compute(pairs, categories, iou_type)
    return evaluation


def _classes(reference: Dataset, candidate: Dataset, results: list[PictureResult]) -> list[str]:
    """The classes that have objects on either side, in the order the category lists declare."""
    used: set[str] = set()
    for result in results:
        m = result.matches
        used.update(o.category for o in (*m.false_positives, *m.false_negatives))
        used.update(o.category for pair in (*m.true_positives, *m.wrong_class) for o in pair[:2])
    declared = dict.fromkeys((*reference.categories, *candidate.categories))
    return [name for name in declared if name in used] + sorted(used - declared.keys())
