"""Tests of :mod:`kokin.banklink`, the bank's side of the hub: in process and on a real hub."""
