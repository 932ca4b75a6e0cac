"""Every concrete failure the fuzzer found, minimised into a fixture (tests/fuzz/regressions/):
laid into its seed's layout, read by its format and written by every writer in the capped
worker. Expected: no finding (a located issue instead of the failure) and at least the objects
the fixture's untouched part holds. Fixtures whose fix has not landed are xfail(strict=True)
through known_open.OPEN_CASES, so they flip when it does.
"""

from __future__ import annotations

import pytest

from tests.fuzz.corpus import WRITERS
from tests.fuzz.harness import Outcome, run_parallel
from tests.fuzz.known_open import OPEN_CASES
from tests.fuzz.regressions import REGRESSIONS

STAGE_TIMEOUT = 4.0


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    folder = tmp_path_factory.mktemp("regressions")
    jobs = []
    for case in REGRESSIONS:
        path = case.build(folder / case.name)
        job = {
            "input": str(path),
            "readers": [case.seed.format],
            "writers": WRITERS,
            "out": str(folder / f"out-{case.name}"),
        }
        jobs.append(job)
    results = run_parallel(jobs, workers=2, timeout=STAGE_TIMEOUT)
    return {case.name: result for case, result in zip(REGRESSIONS, results, strict=True)}


def _param(case) -> object:
    marks = []
    if case.name in OPEN_CASES:
        marks = [pytest.mark.xfail(reason=OPEN_CASES[case.name], strict=True)]
    return pytest.param(case, marks=marks, id=case.name)


@pytest.mark.parametrize("case", [_param(case) for case in REGRESSIONS])
def test_a_fuzz_finding_now_gives_a_located_issue_and_the_rest_loads(case, outcomes):
    outcome = outcomes[case.name]
    assert outcome.ok, f"{case.what}:\n" + "\n".join(
        f"  {finding['key']}: {finding['detail']}" for finding in outcome.findings
    )
    assert outcome.counts.get("objects", 0) >= case.objects
    assert outcome.counts.get("rejected") or outcome.counts.get("issues"), "nothing was said"


def test_every_regression_fixture_is_listed():
    from tests.fuzz.regressions import FOLDER

    listed = {case.file for case in REGRESSIONS}
    present = {path.name for path in FOLDER.iterdir() if path.suffix != ".py"}
    assert present - {"__pycache__"} == listed
