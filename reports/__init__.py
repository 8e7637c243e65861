"""The report layer: jinja2 templates, static assets and the code that renders them."""
