"""What the Review dock writes: the verdicts as CSV or JSON, and the audit report (HTML + CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QMessageBox

from labelview.errors import LabelviewError

if TYPE_CHECKING:
    from labelview.gui.panels.review import ReviewPanel


def export_verdicts(panel: ReviewPanel, path: Path) -> None:
    """Save every verdict as CSV (.csv) or JSON (anything else)."""
    if panel.log is None:
        return
    text = panel.log.to_csv() if path.suffix.lower() == ".csv" else panel.log.to_json()
    from labelview.output import atomic_write

    atomic_write(path, text.encode("utf-8"))


def choose_export(panel: ReviewPanel, kind: str) -> None:
    if panel.log is None:
        return
    start = str(panel.log.path.with_suffix(f".{kind}"))
    name, _ = QFileDialog.getSaveFileName(
        panel, "Export verdicts", start, f"{kind.upper()} (*.{kind})"
    )
    if name:
        export_verdicts(panel, Path(name))


def write_audit(panel: ReviewPanel, path: Path, *, acceptable: float = 0.02) -> str:
    """Write the audit report of the verdicts so far (overwriting: the dialog asked); returns the
    one-line result shown to the reviewer.
    """
    from labelview.audit_report import write_report

    if panel.log is None or panel.dataset is None:
        return "Nothing reviewed yet."
    result = write_report(panel.dataset, panel.log, path, acceptable=acceptable, overwrite=True)
    return (
        f"{len(result.judged):,} judged, {result.defects:,} defective: {result.call} "
        f"(defect rate ≤ {result.defect_high:.1%} at 95 % confidence). Written: {path.name}"
    )


def choose_audit(panel: ReviewPanel) -> None:
    if panel.log is None:
        return
    start = str(panel.log.path.with_name(panel.log.path.name.split(".")[0] + "-audit.html"))
    name, _ = QFileDialog.getSaveFileName(panel, "Audit report", start, "HTML (*.html)")
    if not name:
        return
    try:
        message = write_audit(panel, Path(name))
    except (LabelviewError, OSError) as error:
        message = f"The report could not be written: {error}"
    QMessageBox.information(panel, "Audit report", message)
