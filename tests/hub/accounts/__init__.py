"""Tests of :mod:`kokin.accounts`: login, second factors, throttling, the administrator's limits."""
