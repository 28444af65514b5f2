"""The system check of the retention classes (``KOKIN_RETAIN_*_DAYS``, :mod:`kokin.audit.retention`), run
with the hub's other checks before ``kokin hub serve`` and ``kokin demo`` start.

==========  =======================================================================================
kokin.E201  a retention shorter than :data:`~kokin.audit.retention.MINIMUM` days (a value that is not
            an integer at all is ``kokin.E001``, :mod:`kokin.web.checks`)
==========  =======================================================================================
"""

from __future__ import annotations

import shlex
from typing import Any

from django.core import checks

from kokin.audit.retention import CLASSES, MINIMUM


@checks.register("kokin")
def retention_periods(**kwargs: Any) -> list[checks.CheckMessage]:
    return [
        checks.Error(
            f"{cls.variable}={shlex.quote(str(cls.days))}: {cls.label}の保存期間は {MINIMUM} 日 (1 年) 以上に"
            f"してください (区の定めとガイドラインの下限) / the retention of the {cls.code.replace('_', ' ')} must "
            f"be at least {MINIMUM} days (a year: the ward's rules and the guideline's floor)",
            id="kokin.E201",
        )
        for cls in CLASSES
        if cls.days < MINIMUM
    ]
