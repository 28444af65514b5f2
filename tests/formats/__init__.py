"""Tests of :mod:`kokin.formats` (and the format commands of ``kokin``): no Django, no database."""
