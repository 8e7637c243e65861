"""Legacy ILS flat files in (docs/legacy-files.md): delimited exports with the legacy system's
own headers, encodings, date formats and codes become an extract-side snapshot folder through a
mapping file (`mapping.py`). `sources.py` finds and reads the files, `transform.py` does the
work in DuckDB, `importer.py` puts it together and writes the snapshot; `template.py` writes a
starting mapping from the files alone."""
