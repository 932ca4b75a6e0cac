"""Dock panels: views on the session (items, objects, classifications, history, legend, …)."""
