"""Tests of :mod:`kokin.api`, the REST API."""
