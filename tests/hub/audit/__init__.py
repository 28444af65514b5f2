"""Tests of :mod:`kokin.audit`, the operation log and its signed checkpoints."""
