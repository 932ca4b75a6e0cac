"""Errors and located issues shared by every layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


class LabelviewError(Exception):
    """Base class for every error labelview reports to a user (never shown as a traceback)."""


class FormatError(LabelviewError):
    """Input that cannot be read, located as `file: where: message`."""

    def __init__(self, file: object, where: str, message: str) -> None:
        self.file = str(file)
        self.where = where
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return located(self.file, self.where, self.message)


class OutputError(LabelviewError):
    """An output that would be unsafe to write (exists, escapes the folder, …)."""


class Cancelled(LabelviewError):
    """The user cancelled a long operation."""


@dataclass(frozen=True, slots=True)
class Issue:
    """A located warning or error collected while reading or writing; the rest keeps going."""

    file: str
    where: str
    message: str
    level: Literal["warning", "error"] = "warning"
    item: str | None = None  # Item.id the issue belongs to, so a GUI can jump there
    object: str | None = None  # ObjectLabel.id

    def __str__(self) -> str:
        return located(self.file, self.where, self.message)


def located(file: str, where: str, message: str) -> str:
    """Format `file: where: message`, omitting empty parts; a line number reads `file:12: …`."""
    if where.isdigit() and file:
        return f"{file}:{where}: {message}" if message else f"{file}:{where}"
    return ": ".join(part for part in (file, where, message) if part)
