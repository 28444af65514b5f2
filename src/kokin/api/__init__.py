"""The hub's REST API (django-ninja): token auth bound to a user, the same roles as the web UI."""
