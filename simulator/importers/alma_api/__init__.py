"""Alma REST API responses: pulled into a raw folder, imported into a snapshot folder."""
