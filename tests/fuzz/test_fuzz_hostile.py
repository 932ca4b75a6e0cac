"""Hostile inputs made at test time (FIFOs, links, zip/gzip/PNG bombs, broken bytes, `path: /`,
UTF-16 XML with a DOCTYPE), each read by its format and written by every writer in the capped
worker: a located issue or rejection, what is intact still loads, and never an escape, a signal,
a hang or memory past the cap. Cases listed in known_open.OPEN_CASES are xfail(strict=True), so
they flip to a failure ("XPASS") the day their fix lands — then remove them from the list.
"""

from __future__ import annotations

import pytest

from tests.fuzz.corpus import WRITERS
from tests.fuzz.harness import Outcome, run_parallel
from tests.fuzz.hostile import HOSTILE, HOSTILE_NAMES
from tests.fuzz.known_open import OPEN_CASES

# Each stage of these tiny inputs takes well under a second once fixed; a limit check happens
# before any allocation, so a bomb is refused at once.
STAGE_TIMEOUT = 4.0


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    """Every hostile case, run three at a time (most of a hang's timeout is waiting, not CPU)."""
    folder = tmp_path_factory.mktemp("hostile")
    jobs = []
    for case in HOSTILE:
        path = case.build(folder / case.name)
        jobs.append(
            {
                "input": str(path),
                "readers": [case.format],
                "writers": WRITERS,
                "expect_objects": case.objects,
                "out": str(folder / f"out-{case.name}"),
            }
        )
    results = run_parallel(jobs, workers=3, timeout=STAGE_TIMEOUT)
    return {case.name: result for case, result in zip(HOSTILE, results, strict=True)}


def _marks(name: str) -> list[pytest.MarkDecorator]:
    if name in OPEN_CASES:
        return [pytest.mark.xfail(reason=OPEN_CASES[name], strict=True)]
    return []


@pytest.mark.parametrize(
    "name", [pytest.param(case.name, marks=_marks(case.name)) for case in HOSTILE]
)
def test_a_hostile_input_gives_a_located_issue_and_the_rest_loads(name, outcomes):
    case = HOSTILE_NAMES[name]
    outcome = outcomes[name]
    assert outcome.ok, f"{case.what}:\n" + "\n".join(
        f"  {finding['key']}: {finding['detail']}" for finding in outcome.findings
    )
    if case.objects is not None:
        assert outcome.counts.get("objects") == case.objects
    # Something was said: the input was refused with a located error, or issues were recorded.
    assert outcome.counts.get("rejected") or outcome.counts.get("issues")


def test_every_open_case_names_a_real_case():
    from tests.fuzz.regressions import REGRESSIONS

    names = set(HOSTILE_NAMES) | {case.name for case in REGRESSIONS}
    assert set(OPEN_CASES) <= names
