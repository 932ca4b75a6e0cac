"""The audit of a review session: acceptance rates with confidence intervals, a call on the batch,
and the re-work list. Qt-free; `labelview review report` and the Review dock's button write it.

Units: every *object* the reviewer judged. An object's verdict is its own (set on the object),
else its item's (a verdict on an item judges every object on it). `accept` is accepted;
`reject` and `needs-fix` are defective. Items judged with no objects count as one unit each.

Rates per labeler (the object's author, else the item's labeler), per stage (the item's last
stage in its history), per class and for model against manual labels, each with a Wilson score
interval at the chosen confidence (95 % by default).

The call on the batch: given an acceptable defect rate (say 2 %) and a confidence (95 %), the
batch is *accepted* when the one-sided upper Clopper–Pearson bound of the defect rate among the
judged units is at or below that rate, *rejected* when even the lower bound is above it, and
*undecided* otherwise (review more). The report says how many defect-free units would settle an
undecided call. This is the exact binomial form of "at most 2 % defective at 95 % confidence";
unlike an ISO 2859-1 table it needs no lot-size code letters and holds for any sample size.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from labelview.model import Dataset, Item, ObjectLabel
from labelview.review import ReviewLog, Verdict, object_key

__all__ = ["Audit", "Judged", "Rate", "Verdict", "audit", "judged_units", "wilson"]

DEFECTIVE = frozenset({"reject", "needs-fix"})


@dataclass(frozen=True, slots=True)
class Judged:
    """One judged unit: an object (or a judged item without objects) and its verdict."""

    item: Item
    obj: ObjectLabel | None
    verdict: Verdict

    @property
    def defective(self) -> bool:
        return self.verdict.verdict in DEFECTIVE


@dataclass(frozen=True, slots=True)
class Rate:
    group: str
    judged: int
    accepted: int
    low: float  # Wilson interval of the acceptance rate
    high: float

    @property
    def rate(self) -> float:
        return self.accepted / self.judged if self.judged else 0.0


@dataclass(slots=True)
class Audit:
    judged: list[Judged]
    confidence: float
    acceptable: float  # the acceptable defect rate of the batch
    rates: dict[str, list[Rate]] = field(default_factory=dict)  # by dimension
    overall: Rate | None = None
    defect_low: float = 0.0  # Clopper–Pearson bounds of the defect rate (one-sided each)
    defect_high: float = 1.0
    call: str = "undecided"  # "accept", "reject" or "undecided"
    more_needed: int = 0  # defect-free units that would settle an undecided call

    @property
    def defects(self) -> int:
        return sum(1 for unit in self.judged if unit.defective)

    def rework(self) -> list[Judged]:
        return [unit for unit in self.judged if unit.defective]


def judged_units(dataset: Dataset, log: ReviewLog) -> list[Judged]:
    units = []
    for item in dataset.items:
        item_verdict = log.items.get(item.id)
        own = log.objects.get(item.id, {})
        if not item.objects and item_verdict is not None:
            units.append(Judged(item, None, item_verdict))
        for obj in item.objects:
            verdict = own.get(object_key(item, obj)) or item_verdict
            if verdict is not None:
                units.append(Judged(item, obj, verdict))
    return units


DIMENSIONS: dict[str, Callable[[Judged], str]] = {
    "labeler": lambda u: (u.obj.created_by if u.obj else None) or u.item.labeler or "(unknown)",
    "stage": lambda u: next((e.stage for e in reversed(u.item.history) if e.stage), "(no stage)"),
    "class": lambda u: u.obj.category if u.obj is not None else "(item)",
    "source": lambda u: (u.obj.source if u.obj else None) or "not given (manual)",
}


def audit(
    dataset: Dataset, log: ReviewLog, *, acceptable: float = 0.02, confidence: float = 0.95
) -> Audit:
    units = judged_units(dataset, log)
    result = Audit(units, confidence, acceptable)
    z = _normal_quantile(1 - (1 - confidence) / 2)
    for name, key in DIMENSIONS.items():
        groups: dict[str, list[Judged]] = defaultdict(list)
        for unit in units:
            groups[key(unit)].append(unit)
        result.rates[name] = sorted(
            (_rate(group, members, z) for group, members in groups.items()),
            key=lambda r: (r.rate, -r.judged, r.group),
        )
    result.overall = _rate("all", units, z)
    n, k = len(units), result.defects
    alpha = 1 - confidence
    result.defect_low = clopper_pearson_lower(k, n, alpha) if n else 0.0
    result.defect_high = clopper_pearson_upper(k, n, alpha) if n else 1.0
    if n and result.defect_high <= acceptable:
        result.call = "accept"
    elif n and result.defect_low > acceptable:
        result.call = "reject"
    else:
        result.call = "undecided"
        result.more_needed = _more_needed(k, n, alpha, acceptable)
    return result


def _rate(group: str, members: list[Judged], z: float) -> Rate:
    n = len(members)
    accepted = sum(1 for unit in members if unit.verdict.verdict == "accept")
    low, high = wilson(accepted, n, z)
    return Rate(group, n, accepted, low, high)


def wilson(successes: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval of a proportion (0, 1 when n is 0)."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def _binomial_cdf(k: int, n: int, p: float) -> float:
    """P(X ≤ k) for X ~ Binomial(n, p), summed in log space (stable for large n)."""
    if p <= 0:
        return 1.0
    if p >= 1:
        return 1.0 if k >= n else 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for i in range(k + 1):
        log_term = math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
        total += math.exp(log_term + i * log_p + (n - i) * log_q)
    return min(total, 1.0)


def clopper_pearson_upper(k: int, n: int, alpha: float) -> float:
    """The p with P(X ≤ k | n, p) = alpha: a one-sided upper bound at confidence 1 - alpha."""
    if k >= n:
        return 1.0
    low, high = k / n, 1.0
    for _ in range(80):
        middle = (low + high) / 2
        if _binomial_cdf(k, n, middle) > alpha:
            low = middle
        else:
            high = middle
    return high


def clopper_pearson_lower(k: int, n: int, alpha: float) -> float:
    """The p with P(X ≥ k | n, p) = alpha: a one-sided lower bound at confidence 1 - alpha."""
    if k == 0:
        return 0.0
    low, high = 0.0, k / n
    for _ in range(80):
        middle = (low + high) / 2
        if 1 - _binomial_cdf(k - 1, n, middle) < alpha:
            low = middle
        else:
            high = middle
    return low


def _more_needed(k: int, n: int, alpha: float, acceptable: float) -> int:
    """How many more units, all accepted, would bring the upper bound to `acceptable`."""
    if acceptable <= 0:
        return 0
    step, extra = 1, 0
    while clopper_pearson_upper(k, n + extra, alpha) > acceptable:
        extra += step
        step *= 2
        if extra > 10_000_000:
            return extra
    low, high = extra - step // 2 if step > 1 else 0, extra  # the bound crosses in (low, high]
    while low < high:
        middle = (low + high) // 2
        if clopper_pearson_upper(k, n + middle, alpha) <= acceptable:
            high = middle
        else:
            low = middle + 1
    return high


def _normal_quantile(q: float) -> float:
    """The standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9)."""
    a = (
        -39.69683028665376,
        220.9460984245205,
        -275.9285104469687,
        138.3577518672690,
        -30.66479806614716,
        2.506628277459239,
    )
    b = (
        -54.47609879822406,
        161.5858368580409,
        -155.6989798598866,
        66.80131188771972,
        -13.28068155288572,
    )
    c = (
        -0.007784894002430293,
        -0.3223964580411365,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    )
    d = (0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416)
    if q < 0.02425:
        t = math.sqrt(-2 * math.log(q))
        return (((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) / (
            (((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1
        )
    if q > 1 - 0.02425:
        return -_normal_quantile(1 - q)
    t = q - 0.5
    r = t * t
    return (
        (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
        * t
        / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    )
