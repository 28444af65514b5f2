"""Safe file names (:mod:`kokin.formats.names`); its doctests show the path and control-character rules."""

from __future__ import annotations

from kokin.formats import names


def test_a_long_name_is_cut_and_keeps_its_extension() -> None:
    assert names.safe_name("a/" + "x" * 300 + ".dat").endswith(".dat")
    assert len(names.safe_name("x" * 300 + ".dat")) == names.MAX_LENGTH


def test_a_drive_colon_is_replaced_and_no_name_falls_back() -> None:
    assert names.safe_name("C:evil.dat") == "C_evil.dat"
    assert names.safe_name(None) == names.FALLBACK
