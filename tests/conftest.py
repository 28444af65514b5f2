"""Fixtures for the format tests: they write files and profiles into ``tmp_path``.

The helpers that build and break files (``HEADER``, ``payer``, ``request_file``, ``mutate``, …) are in
:mod:`support.records`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[bytes, str], Path]:
    def write(data: bytes, name: str = "file.dat") -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


@pytest.fixture
def write_profile(tmp_path: Path) -> Callable[[str, str], Path]:
    def write(text: str, name: str = "bank.toml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
