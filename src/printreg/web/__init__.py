"""The web application: REST API under /api/v1 and HTML pages, from create_app(settings)."""
