"""Rule packs: model, loading with source locations, linting, compiling to SQL."""
