"""The bundled demo export (package data), for `labelview --demo`."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

DEMO_EXPORT = "demo_export.json"


def path() -> Path:
    """The demo export file inside the installed package."""
    return Path(str(resources.files("labelview.demo").joinpath(DEMO_EXPORT)))
