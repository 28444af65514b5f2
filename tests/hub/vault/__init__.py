"""Tests of :mod:`kokin.vault`: encryption at rest, key rotation, crypto-shredding."""
