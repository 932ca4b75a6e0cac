"""The audit of a review session: rates and intervals by hand, the batch call in closed form,
the report and re-work list written by `labelview review report`.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from labelview import audit, cli, formats
from labelview.review import ReviewLog


def _export(folder: Path, images: int, per_image: int = 1) -> Path:
    """A COCO export: `images` images, each with `per_image` boxes alternately by ann and bob."""
    document = {"images": [], "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "dog"}]}
    annotations = []
    for i in range(images):
        document["images"].append({"id": i + 1, "file_name": f"{i}.jpg", "width": 50, "height": 40})
        for j in range(per_image):
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": i + 1,
                    "category_id": 1 + (j % 2),
                    "bbox": [1, 1, 5, 5],
                    "area": 25,
                    "iscrowd": 0,
                    **({"score": 0.9} if j % 2 else {}),
                }
            )
    document["annotations"] = annotations
    path = folder / "export.json"
    path.write_text(json.dumps(document))
    return path


def test_rates_and_intervals_match_a_hand_computation(tmp_path: Path) -> None:
    path = _export(tmp_path, 5, per_image=2)  # 10 objects: car (manual) and dog (model) on each
    dataset = formats.read(path)
    log = ReviewLog.load(path)
    verdicts = ["accept"] * 4 + ["reject"]  # item verdicts: 4 images accepted, 1 rejected
    for item, verdict in zip(dataset.items, verdicts, strict=True):
        log.set_item(item, verdict)
    dog = dataset.items[0].objects[1]
    log.set_object(dataset.items[0], dog, "needs-fix", note="wrong class")  # overrides the item's
    result = audit.audit(dataset, log)
    assert len(result.judged) == 10
    assert result.defects == 3  # image 5's two objects and the dog on image 1
    by_class = {r.group: r for r in result.rates["class"]}
    assert (by_class["car"].judged, by_class["car"].accepted) == (5, 4)
    assert (by_class["dog"].judged, by_class["dog"].accepted) == (5, 3)
    # Wilson by hand for 4 of 5 at z = 1.959964
    z, n, p = 1.959964, 5, 0.8
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert by_class["car"].low == pytest.approx(centre - half, abs=1e-6)
    assert by_class["car"].high == pytest.approx(centre + half, abs=1e-6)
    by_source = {r.group: r.accepted for r in result.rates["source"]}
    assert by_source == {"model": 3, "not given (manual)": 4}  # dogs carry a score: model
    assert result.call == "reject"  # 3 of 10 defective cannot be at most 2 %
    assert [(u.item.name, u.verdict.verdict) for u in result.rework()] == [
        ("0.jpg", "needs-fix"),
        ("4.jpg", "reject"),
        ("4.jpg", "reject"),
    ]


@pytest.mark.parametrize(
    ("accepted", "call", "more"),
    [
        # with no defect the upper bound is 1 - alpha^(1/n): at most 2 % from n = 149 on
        (149, "accept", 0),
        (100, "undecided", 49),
        (148, "undecided", 1),
    ],
)
def test_the_batch_call_in_closed_form(tmp_path: Path, accepted: int, call: str, more: int) -> None:
    path = _export(tmp_path, accepted)
    dataset = formats.read(path)
    log = ReviewLog.load(path)
    for item in dataset.items:
        log.items[item.id] = audit.Verdict("accept")
    result = audit.audit(dataset, log, acceptable=0.02, confidence=0.95)
    assert result.defect_high == pytest.approx(1 - 0.05 ** (1 / accepted), abs=1e-9)
    assert (result.call, result.more_needed) == (call, more)
    assert math.ceil(math.log(0.05) / math.log(0.98)) == 149  # the hand computation


def test_review_report_writes_html_and_rework_csv(tmp_path: Path, capsys) -> None:
    path = _export(tmp_path, 4, per_image=2)
    dataset = formats.read(path)
    log = ReviewLog.load(path)
    for item, verdict in zip(
        dataset.items, ["accept", "accept", "needs-fix", "accept"], strict=True
    ):
        log.set_item(item, verdict, note="box too loose" if verdict != "accept" else "")
    report = tmp_path / "audit.html"
    assert cli.main(["review", "report", str(path), "-o", str(report)]) == 0
    out = capsys.readouterr().out
    assert "8 judged, 2 defective: reject" in out
    text = report.read_text()
    assert "REJECT the batch" in text
    assert text.count("data:image/png;base64,") == 4  # labeler, stage, class, source charts
    assert "http" not in text.replace("http-equiv", "")  # self-contained: nothing fetched
    with (tmp_path / "audit.rework.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["item"], r["verdict"], r["note"]) for r in rows] == [
        ("2.jpg", "needs-fix", "box too loose"),
        ("2.jpg", "needs-fix", "box too loose"),
    ]
    assert rows[0]["item_id"] == dataset.items[2].id
    assert cli.main(["review", "report", str(path), "-o", str(report)]) == 1  # never overwritten
    assert "exists" in capsys.readouterr().err
