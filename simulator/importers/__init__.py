"""Outside data in: Alma API responses and legacy files become snapshot folders."""
