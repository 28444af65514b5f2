"""``KOKIN_ACKNOWLEDGEMENT_DAYS``: read with the other ``KOKIN_*`` settings and checked at start; a value that
is not a whole number of days, or less than one, stops the hub with a message naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.core import checks
from django.test import override_settings

KOKIN = str(Path(sys.executable).with_name("kokin"))


def kokin_issues() -> list[tuple[str, str]]:
    return [(issue.id, issue.msg) for issue in checks.run_checks(tags=["kokin"])]


def test_the_default_is_a_year_and_passes() -> None:
    from django.conf import settings

    assert settings.ACKNOWLEDGEMENT_DAYS == 365
    assert kokin_issues() == []


def test_less_than_one_day_is_an_error_naming_the_variable() -> None:
    for wrong in (0, -30):
        with override_settings(ACKNOWLEDGEMENT_DAYS=wrong):
            assert kokin_issues() == [
                ("kokin.E002", f"KOKIN_ACKNOWLEDGEMENT_DAYS={wrong}: 1 以上にしてください / must be at least 1")
            ]


def check(tmp_path: Path, value: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("KOKIN_", "DJANGO_", "PYTEST_"))}
    environ.update(
        {"KOKIN_HOME": str(tmp_path / "home"), "DJANGO_SETTINGS_MODULE": "kokin.web.settings"}
        | {"KOKIN_ACKNOWLEDGEMENT_DAYS": value}
    )
    return subprocess.run(
        [KOKIN, "manage", "check"], capture_output=True, text=True, env=environ, timeout=120, check=False
    )


def test_a_value_in_the_environment_that_is_not_a_whole_number_stops_the_check(tmp_path: Path) -> None:
    done = check(tmp_path, "1y")
    assert done.returncode != 0, done.stdout + done.stderr
    assert "(kokin.E001) KOKIN_ACKNOWLEDGEMENT_DAYS=1y: 整数ではありません" in done.stderr
    assert "/ not an integer" in done.stderr and "Traceback" not in done.stderr
    zero = check(tmp_path, "0")
    assert zero.returncode != 0 and "(kokin.E002) KOKIN_ACKNOWLEDGEMENT_DAYS=0: 1 以上にしてください" in zero.stderr
    assert check(tmp_path, "90").returncode == 0
