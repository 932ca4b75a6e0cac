"""Every format against the one contract (see tests/formats/contract.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labelview import formats
from labelview.convert import convert, readback_path
from labelview.errors import LabelviewError
from labelview.formats._writing import (
    FIELDS,
    ITEM_FIELDS,
    OBJECT_FIELDS,
    SHAPE_KINDS,
    Holds,
    holds_for,
    losses,
)
from labelview.formats.base import Confidence, WriteContext
from labelview.output import OutputDir
from tests.formats.contract import DATA, FIXTURES, exact_kinds, random_dataset

WRITERS = [fmt.name for fmt in formats.writers()]
ROUND_TRIP = [fmt.name for fmt in formats.writers() if fmt.readable]


def _holds(name: str) -> Holds:
    fmt = formats.get(name)
    holds = holds_for(fmt.holds, fmt.options())
    assert isinstance(holds, Holds), f"{name} writer declares no Holds"
    return holds


# --- detection ------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", sorted(FIXTURES))
def test_a_fixture_is_claimed_by_its_own_format(fixture: str) -> None:
    own = FIXTURES[fixture][0]
    path = DATA / fixture
    verdict = {fmt.name: v for fmt, v in formats.verdicts(path)}[own]
    assert verdict.confidence >= Confidence.LIKELY, f"{own} on {fixture}: {verdict.reason}"
    assert formats.detect(path).name == own


@pytest.mark.parametrize("name", [fmt.name for fmt in formats.readers()])
def test_a_detector_claims_no_other_formats_fixture(name: str) -> None:
    fmt = formats.get(name)
    claimed = []
    for fixture, (own, _, _) in sorted(FIXTURES.items()):
        if own == name:
            continue
        verdict = fmt.detect(formats.Probe.of(DATA / fixture))
        if verdict.confidence > Confidence.WEAK:
            claimed.append(f"{fixture} ({verdict.confidence.name}: {verdict.reason})")
    assert not claimed, f"the {name} detector claims other formats' files: {'; '.join(claimed)}"


# --- reading --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", sorted(FIXTURES))
def test_a_fixture_reads_with_the_objects_counted_by_hand(fixture: str) -> None:
    _own, items, objects = FIXTURES[fixture]
    dataset = formats.read(DATA / fixture)
    assert [str(i) for i in dataset.issues if i.level == "error"] == []
    assert (len(dataset.items), dataset.object_count) == (items, objects)
    for _, obj in dataset.objects():
        assert obj.category in dataset.categories


# --- writing --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", WRITERS)
def test_a_writers_loss_report_names_exactly_what_it_does_not_hold(name, tmp_path) -> None:
    holds = _holds(name)
    dataset = random_dataset(7, list(SHAPE_KINDS), tmp_path / "src", each=True)
    fmt = formats.writer(name)
    out = OutputDir(tmp_path / "out")
    report = formats.write(name, dataset, out, fmt.options(), WriteContext())
    out.commit()
    text = "\n".join(report.dropped)
    assert losses(dataset, holds, fmt.title).keys() <= report.dropped.keys()
    for field in sorted(FIELDS - holds.fields):
        assert field_unit(field) in text, f"{name} drops {field} without saying so"
    for field in sorted(holds.fields):
        assert f"cannot hold {field_unit(field)}" not in text
    for kind in SHAPE_KINDS:
        mentioned = any(_about(line, kind) for line in report.dropped)
        assert mentioned != holds.exact(kind), f"{name}: {kind} reported wrongly\n{text}"


def _about(line: str, kind: str) -> bool:
    """True when loss line `line` is about shapes of `kind` (not of a longer kind's name, such as
    "polygon with holes" for "polygon")."""
    text = kind.replace("_", " ")
    longer = [k.replace("_", " ") for k in SHAPE_KINDS if k != kind and k.startswith(kind)]
    return line.startswith(f"{text} ") and not any(line.startswith(f"{o} ") for o in longer)


def field_unit(field: str) -> str:
    from labelview.formats._writing import _UNITS

    return _UNITS[field]


def test_the_field_catalogue_covers_objects_and_items() -> None:
    assert set(OBJECT_FIELDS) | set(ITEM_FIELDS) == FIELDS


@pytest.mark.parametrize("name", ROUND_TRIP)
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(seed=st.integers(0, 2**16))
def test_write_then_read_is_identity_on_what_a_writer_holds(name, seed, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp(f"{name}-{seed}")
    dataset = random_dataset(seed, exact_kinds(_holds(name)), folder / "src")
    report = convert(
        folder / "src" / "export.json", folder / "out", name, dataset=dataset, verify=True
    )
    findings = report.targets[0].findings
    assert findings == [], "\n".join(str(f) for f in findings or ())


@pytest.mark.parametrize("name", ROUND_TRIP)
@pytest.mark.parametrize("fixture", sorted(FIXTURES))
def test_every_fixture_converts_to_every_writer_without_changes(name, fixture, tmp_path) -> None:
    report = convert(DATA / fixture, tmp_path / "out", name, verify=True)
    target = report.targets[0]
    if target.objects == 0:  # e.g. YOLO from a fixture without images or sizes: nothing to read
        assert "not verified: no object was written" in target.notes
        return
    findings = target.findings
    assert findings == [], "\n".join(str(f) for f in findings or ())


# --- every real platform sample, converted and read back ------------------------------------------

PLATFORMS = ("encord", "ango", "dataloop", "segments", "datagym")
_NOT_EXPORTS = ("ontology", ".labels.json", "expected-ids", "sample-and-label-attributes")
_FRAGMENT = re.compile(r"\.[A-Za-z0-9]+#\d+$")  # clip.mp4#3: a frame named by a fragment


def _platform_exports(samples: Path) -> list[Path]:
    found = []
    for platform in PLATFORMS:
        for path in sorted((samples / platform).rglob("*.json")):
            text = str(path.relative_to(samples))
            if any(part in text for part in (*_NOT_EXPORTS, "schema/", "_raw/")):
                continue
            found.append(path)
    return found


@pytest.mark.samples
@pytest.mark.parametrize("name", ROUND_TRIP)
def test_every_platform_sample_converts_without_unreported_changes(samples, name, tmp_path):
    problems = []
    for source in _platform_exports(samples):
        try:
            formats.detect(source)
        except LabelviewError:
            continue  # a companion file (recipe, raw task list): not an export
        out = tmp_path / source.stem
        report = convert(source, out, name, verify=True)
        target = report.targets[0]
        where = source.relative_to(samples)
        problems += [f"{where}: {finding}" for finding in target.findings or ()]
        if target.objects:
            written = formats.read(readback_path(name, out), format=name)
            for item in written.items:
                for image in (item.image, *(frame.image for frame in item.frames)):
                    if image and ("://" in image or _FRAGMENT.search(image)):
                        problems.append(f"{where}: written image name {image!r}")
    assert problems == [], "\n".join(problems[:40])
