"""The hub's Django project: settings, URLs, templates and static files (served by the app itself)."""
