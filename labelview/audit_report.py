"""The audit as one self-contained HTML file (charts as PNG inside it) and the re-work list as CSV.

No network, no scripts: the file opens anywhere and can be mailed as it is.
"""

from __future__ import annotations

import base64
import csv
import html
import io
from datetime import UTC, datetime
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from labelview.audit import Audit, Rate, audit
from labelview.model import Dataset
from labelview.review import ReviewLog

_TITLES = {
    "labeler": "Acceptance per labeler",
    "stage": "Acceptance per stage",
    "class": "Acceptance per class",
    "source": "Model against manual labels",
}
MAX_BARS = 25


def rework_csv(result: Audit) -> str:
    """One row per defective unit, keyed by the platform's own ids (item and object)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["item_id", "item", "object_id", "frame", "class", "verdict", "note", "reviewer"]
    )
    for unit in result.rework():
        obj = unit.obj
        writer.writerow(
            [
                unit.item.id,
                unit.item.name,
                obj.id if obj is not None and obj.id else "",
                obj.frame if obj is not None and obj.frame is not None else "",
                obj.category if obj is not None else "",
                unit.verdict.verdict,
                unit.verdict.note,
                unit.verdict.reviewer,
            ]
        )
    return out.getvalue()


def _font(size: int):
    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)
    except OSError:
        return ImageFont.load_default()


def chart_png(rates: list[Rate], width: int = 640) -> bytes:
    """Horizontal bars: acceptance rate per group, with its confidence interval as a whisker."""
    rates = rates[:MAX_BARS]
    row, left, right, top = 24, 170, 60, 26
    height = top + row * max(len(rates), 1) + 28
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font, small = _font(13), _font(11)
    span = width - left - right
    for tick in range(0, 101, 20):
        x = left + span * tick / 100
        draw.line([(x, top - 4), (x, height - 24)], fill=(225, 225, 225))
        draw.text((x, height - 20), f"{tick}%", fill=(90, 90, 90), font=small, anchor="ma")
    for n, rate in enumerate(rates):
        y = top + n * row
        label = rate.group if len(rate.group) <= 22 else rate.group[:21] + "…"
        draw.text((left - 8, y + row / 2), label, fill=(30, 30, 30), font=font, anchor="rm")
        colour = (
            (60, 170, 90)
            if rate.rate >= 0.95
            else (230, 150, 30)
            if rate.rate >= 0.8
            else (215, 60, 50)
        )
        draw.rectangle([left, y + 5, left + span * rate.rate, y + row - 5], fill=colour)
        low, high = left + span * rate.low, left + span * rate.high
        middle = y + row / 2
        draw.line([(low, middle), (high, middle)], fill=(40, 40, 40), width=2)
        draw.line([(low, middle - 5), (low, middle + 5)], fill=(40, 40, 40), width=2)
        draw.line([(high, middle - 5), (high, middle + 5)], fill=(40, 40, 40), width=2)
        draw.text(
            (width - right + 6, middle),
            f"n={rate.judged:,}",
            fill=(90, 90, 90),
            font=small,
            anchor="lm",
        )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _percent(value: float) -> str:
    return f"{100 * value:.1f} %"


def _table(rates: list[Rate], confidence: float) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(r.group)}</td><td>{r.judged:,}</td><td>{r.accepted:,}</td>"
        f"<td>{_percent(r.rate)}</td><td>{_percent(r.low)} – {_percent(r.high)}</td></tr>"
        for r in rates
    )
    return (
        "<table><tr><th>group</th><th>judged</th><th>accepted</th><th>rate</th>"
        f"<th>Wilson {confidence:.0%} interval</th></tr>{rows}</table>"
    )


def render_html(result: Audit, *, title: str, rework_name: str | None = None) -> str:
    """The report as one HTML document."""
    overall = result.overall
    verdict_text = {
        "accept": "ACCEPT the batch",
        "reject": "REJECT the batch",
        "undecided": "UNDECIDED: review more",
    }[result.call]
    colour = {"accept": "#2e8b57", "reject": "#c0392b", "undecided": "#d68910"}[result.call]
    n = len(result.judged)
    rule = (
        f"Accept when the one-sided {result.confidence:.0%} upper Clopper–Pearson bound of the "
        f"defect rate is at most {_percent(result.acceptable)}; reject when even the lower bound "
        "is above it."
    )
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>",
        "body{font-family:DejaVu Sans,Arial,sans-serif;margin:24px;color:#222;max-width:960px}",
        "table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ddd;",
        "padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}",
        ".call{font-size:20px;font-weight:bold;padding:10px 14px;color:white;display:inline-block}",
        "</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Written {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} by labelview.</p>",
        f"<div class='call' style='background:{colour}'>{verdict_text}</div>",
        f"<p>{n:,} judged units, {result.defects:,} defective (reject or needs-fix). "
        f"Defect rate {_percent(result.defects / n if n else 0)}, between "
        f"{_percent(result.defect_low)} and {_percent(result.defect_high)} at "
        f"{result.confidence:.0%} confidence (one-sided bounds).</p>",
        f"<p>{html.escape(rule)}</p>",
    ]
    if result.call == "undecided" and result.more_needed:
        parts.append(
            f"<p>{result.more_needed:,} more units judged without a defect would settle it.</p>"
        )
    if overall is not None:
        parts.append(
            f"<p>Acceptance overall: {_percent(overall.rate)} "
            f"(Wilson {result.confidence:.0%} interval {_percent(overall.low)} – "
            f"{_percent(overall.high)}).</p>"
        )
    for name, rates in result.rates.items():
        if not rates:
            continue
        png = base64.b64encode(chart_png(rates)).decode("ascii")
        parts.append(f"<h2>{_TITLES[name]}</h2>")
        parts.append(f"<img alt='{_TITLES[name]}' src='data:image/png;base64,{png}'>")
        parts.append(_table(rates, result.confidence))
    rework = result.rework()
    parts.append(f"<h2>Re-work list ({len(rework):,})</h2>")
    if rework_name:
        parts.append(f"<p>Also as CSV: {html.escape(rework_name)}</p>")
    rows = "".join(
        f"<tr><td>{html.escape(u.item.id)}</td><td>{html.escape(u.item.name)}</td>"
        f"<td>{html.escape(u.obj.id or '') if u.obj else ''}</td>"
        f"<td>{html.escape(u.obj.category) if u.obj else ''}</td>"
        f"<td>{html.escape(u.verdict.verdict)}</td><td>{html.escape(u.verdict.note)}</td></tr>"
        for u in rework[:500]
    )
    parts.append(
        "<table><tr><th>item id</th><th>item</th><th>object id</th><th>class</th>"
        f"<th>verdict</th><th>note</th></tr>{rows}</table>"
    )
    if len(rework) > 500:
        parts.append(f"<p>… and {len(rework) - 500:,} more in the CSV.</p>")
    parts.append("</body></html>")
    return "\n".join(parts)


def rework_path(report: Path) -> Path:
    """Where the re-work CSV goes: beside the report, `<report stem>.rework.csv`."""
    return report.with_name(report.stem + ".rework.csv")


def write_report(
    dataset: Dataset,
    log: ReviewLog,
    path: Path,
    *,
    acceptable: float = 0.02,
    confidence: float = 0.95,
    overwrite: bool = False,
) -> Audit:
    """Audit `dataset`'s verdicts and write the HTML report and its re-work CSV (each atomically;
    OutputError when one exists and `overwrite` is not given).
    """
    from labelview.errors import OutputError
    from labelview.output import atomic_write

    csv_path = rework_path(path)
    for target in (path, csv_path):
        if target.exists() and not overwrite:
            raise OutputError(f"{target} exists; overwrite it to replace")
    result = audit(dataset, log, acceptable=acceptable, confidence=confidence)
    title = f"Review audit of {dataset.source.name if dataset.source else 'an export'}"
    atomic_write(csv_path, rework_csv(result).encode("utf-8"))
    atomic_write(path, render_html(result, title=title, rework_name=csv_path.name).encode("utf-8"))
    return result
