"""Cutover simulator: what survives an Ex Libris Alma cutover, record by record, and why."""

__version__ = "0.1.0"
