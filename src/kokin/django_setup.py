"""The one Django set-up of the ``kokin`` commands: the hub's settings module, then ``django.setup()``.

It sits at the top of the package and imports nothing of kokin (it names the settings by their
dotted path only), so every part's ``commands.py`` may import it, down to ``audit``, without an
arrow into ``web``; Django itself is imported only when a command calls :func:`django_setup`, so
``kokin --help`` and the format commands never load it.
"""

from __future__ import annotations

import os

#: the hub's settings (``DJANGO_SETTINGS_MODULE`` wins when set, e.g. the tests' settings)
SETTINGS_MODULE = "kokin.web.settings"


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    import django

    django.setup()
