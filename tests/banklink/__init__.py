"""Tests of the Django-free parts of :mod:`kokin.banklink`; the bank link with a database is in ``hub/banklink``."""
