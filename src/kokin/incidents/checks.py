"""The system check of the detection rules' settings (``KOKIN_INCIDENT_RULES``), run with the hub's other
checks before ``kokin hub serve`` and ``kokin demo`` start (and by ``kokin manage check``).

==========  =======================================================================================
kokin.E101  the rules file cannot be read or is not TOML
kokin.E102  a name in it that is no rule or setting
kokin.E103  a value of the wrong type or out of range (a threshold of 0, a ban longer than its cap…)
==========  =======================================================================================
"""

from __future__ import annotations

from typing import Any

from django.core import checks

from kokin.incidents import configured


@checks.register("kokin")
def incident_rules(**kwargs: Any) -> list[checks.CheckMessage]:
    _, problems = configured.read()
    return [checks.Error(f"KOKIN_INCIDENT_RULES: {problem}", id=problem.id) for problem in problems]
