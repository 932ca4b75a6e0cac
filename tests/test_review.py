"""Spot-check review: filters, seeded sampling, verdict sidecar, CSV/JSON export from the CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest

from labelview import cli, review
from labelview.errors import FormatError, Issue, LabelviewError
from labelview.model import Box, Item, ObjectLabel, StageEvent


def make_items(count: int = 30) -> list[Item]:
    items = []
    for index in range(count):
        category = "car" if index % 3 else "person"
        objects = [
            ObjectLabel(category, Box(1, 1, 5, 5), id=f"o{index}a", confidence=0.9, source="model"),
            ObjectLabel(category, Box(2, 2, 5, 5), id=f"o{index}b", confidence=0.3, source="model"),
            ObjectLabel("sign", Box(0, 0, 2, 2), id=f"o{index}c", source="manual"),
        ]
        items.append(
            Item(
                id=f"i{index}",
                name=f"img_{index}.jpg",
                objects=objects,
                labeler="ann@x.io" if index % 2 else "bob@x.io",
                status="done" if index % 4 else "review",
                history=[
                    StageEvent(stage="Label"),
                    StageEvent(stage="Review" if index % 5 else "QA"),
                ],
            )
        )
    return items


def test_confidence_and_source_filter_hide_objects() -> None:
    item = make_items(1)[0]
    shown = review.ReviewFilter(min_confidence=0.5).objects(item.objects)
    assert [obj.id for obj in shown] == ["o0a", "o0c"]  # 0.3 hidden; no confidence is kept
    manual_only = review.ReviewFilter(sources=frozenset({"manual"})).objects(item.objects)
    assert [obj.id for obj in manual_only] == ["o0c"]


def test_item_filters_by_labeler_status_stage_and_issues() -> None:
    items = make_items(10)
    by_labeler = review.ReviewFilter(labelers=frozenset({"bob@x.io"}))
    assert [i.id for i in items if by_labeler.item_visible(i)] == ["i0", "i2", "i4", "i6", "i8"]
    by_status = review.ReviewFilter(statuses=frozenset({"review"}))
    assert [i.id for i in items if by_status.item_visible(i)] == ["i0", "i4", "i8"]
    by_stage = review.ReviewFilter(stages=frozenset({"QA"}))
    assert [i.id for i in items if by_stage.item_visible(i)] == ["i0", "i5"]
    issues = review.issues_by_item([Issue("f", "w", "m", item="i3")])
    with_issues = review.ReviewFilter(only_with_issues=True)
    assert [i.id for i in items if with_issues.item_visible(i, issues=issues.get(i.id, []))] == [
        "i3"
    ]
    persons = review.ReviewFilter(categories=frozenset({"person"}))
    assert [i.id for i in items if persons.item_visible(i)] == ["i0", "i3", "i6", "i9"]


def test_same_seed_same_sample_and_strata_are_covered() -> None:
    items = make_items(30)
    first = review.sample(items, 6, seed=42)
    assert first == review.sample(items, 6, seed=42)
    assert len(set(first)) == 6
    assert first != review.sample(items, 6, seed=43)
    stratified = review.sample(items, 6, seed=1, stratify="category")
    categories = {max({o.category for o in items[i].objects} - {"sign"}) for i in stratified}
    assert categories == {"car", "person"}
    assert len(stratified) == 6
    assert len(review.sample(items, 100, seed=0)) == 30


def test_verdicts_survive_reopen_and_export_to_csv(tmp_path, capsys) -> None:
    export = tmp_path / "export.json"
    export.write_text("[]")
    items = make_items(3)
    log = review.ReviewLog.load(export)
    log.set_item(items[0], "accept")
    log.set_item(items[1], "reject", note="box too loose, see left car")
    log.set_object(items[1], items[1].objects[0], "needs-fix", note="tighten")
    assert export.read_text() == "[]"  # the export itself is never touched

    reopened = review.ReviewLog.load(export)
    assert reopened.verdict_of(items[0]) == "accept"
    assert reopened.verdict_of(items[1]) == "reject"
    assert reopened.verdict_of(items[2]) is None
    assert reopened.items["i1"].note == "box too loose, see left car"
    assert reopened.objects["i1"]["o1a"].verdict == "needs-fix"
    assert review.summary(items, reopened) == {"accept": 1, "reject": 1, "none": 1}

    out = tmp_path / "verdicts.csv"
    assert cli.main(["review", "export", str(export), "-o", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["item"], r["object_id"], r["verdict"]) for r in rows] == [
        ("img_0.jpg", "", "accept"),
        ("img_1.jpg", "", "reject"),
        ("img_1.jpg", "o1a", "needs-fix"),
    ]
    assert cli.main(["review", "export", str(export), "-o", str(out)]) == 1  # no overwrite
    assert "exists" in capsys.readouterr().err
    assert cli.main(["review", "export", str(export), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)[1]["note"] == "box too loose, see left car"

    accepted = review.accepted_filter(export)
    assert [i.id for i in items if accepted(i)] == ["i0"]

    reopened.set_item(items[0], None)
    assert review.ReviewLog.load(export).verdict_of(items[0]) is None


def test_unknown_verdict_and_corrupt_sidecar_are_clear_errors(tmp_path, capsys) -> None:
    with pytest.raises(LabelviewError, match="unknown verdict"):
        review.Verdict("maybe")
    export = tmp_path / "e.json"
    review.sidecar_path(export).write_text("{not json")
    with pytest.raises(FormatError, match=r"e\.json\.labelview-review\.json"):
        review.ReviewLog.load(export)
    assert cli.main(["review", "export", str(export)]) == 1
    assert "unreadable review file" in capsys.readouterr().err
    assert cli.main(["review", "export", str(tmp_path / "none.json")]) == 1
