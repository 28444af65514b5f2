"""Tests of :mod:`kokin.bank` against a real hub (the bank agent over HTTPS with mutual TLS)."""
