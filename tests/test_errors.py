"""Every error kokin raises derives from :class:`kokin.errors.KokinError` (a message in Japanese and
English), except the few exceptions that are signals between two pieces of code, listed here."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import kokin
from kokin.errors import KokinError
from kokin.formats.errors import KokinError as FormatsKokinError

#: exceptions that stop or steer the code that catches them and never reach a person as they are
SIGNALS = {
    "kokin.bank.errors.Interrupted",  # the agent was asked to stop
    "kokin.bank.agent.retry.GiveUp",  # carries the error that made the retries run out
    "kokin.bank.agent.retry.Stopped",  # SIGINT/SIGTERM
    "kokin.exchange.intake._Stopped",  # ends the checking thread
    "kokin.exchange.uploads.BodyTooLarge",  # the view answers 413 with its own words
    "kokin.exchange.uploads.BodyCut",  # the client went away
    "kokin.banklink.ranges.Unsatisfiable",  # becomes a Refusal 416 in banklink.http
}


def _modules_defining_classes() -> list[str]:
    """Every kokin module (migrations aside) whose source defines a class at its top level."""
    root = Path(kokin.__file__).parent
    names = []
    for info in pkgutil.walk_packages([str(root)], prefix="kokin."):
        if ".migrations" in info.name:
            continue
        path = root.joinpath(*info.name.split(".")[1:])
        source = path / "__init__.py" if info.ispkg else path.with_suffix(".py")
        tree = ast.parse(source.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.ClassDef) for node in tree.body):
            names.append(info.name)
    return names


def test_kokin_errors_names_the_formats_base() -> None:
    assert KokinError is FormatsKokinError


def test_every_kokin_error_derives_from_the_base() -> None:
    found, outside = set(), []
    for name in _modules_defining_classes():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == name:
                qualified = f"{name}.{value.__qualname__}"
                found.add(qualified)
                if qualified not in SIGNALS and not issubclass(value, KokinError):
                    outside.append(qualified)
    assert not outside, f"errors that do not derive from KokinError: {outside}"
    assert found >= SIGNALS, f"listed signals that no longer exist: {SIGNALS - found}"
    assert "kokin.formats.errors.FormatError" in found and "kokin.banklink.http.Refusal" in found


def test_the_message_is_japanese_then_english() -> None:
    error = KokinError("保存できません", "cannot store")
    assert (error.message_ja, error.message_en, str(error)) == (
        "保存できません",
        "cannot store",
        "保存できません / cannot store",
    )
