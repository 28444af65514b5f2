"""Tests of :mod:`kokin.exchange`: pages, API, intake while a file arrives, inbound files, matching."""
