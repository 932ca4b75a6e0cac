"""labelview: look at and convert annotation exports."""

__version__ = "0.1.0"
