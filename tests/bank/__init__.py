"""Tests of :mod:`kokin.bank` without a hub: the agent's parts and the bank simulator."""
