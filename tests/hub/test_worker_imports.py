"""What a hub worker loads before its first request: the libraries only some pages need (the AES ZIP
package, WebAuthn, QR codes) wait for those pages, so every worker stays small."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

LAZY = ("pyzipper", "Cryptodome", "cffi", "webauthn", "cbor2", "OpenSSL", "segno")


def test_a_worker_loads_no_zip_webauthn_or_qr_library_until_a_page_needs_it(tmp_path: Path) -> None:
    code = textwrap.dedent(
        f"""
        import sys
        import django
        django.setup()
        from django.urls import resolve
        resolve("/")  # the whole URL conf: every view module is imported
        import kokin.exchange.services, kokin.banklink.api, kokin.api.api
        print(sorted(m for m in {LAZY!r} if m in sys.modules))
        """
    )
    env = {**os.environ, "KOKIN_HOME": str(tmp_path), "DJANGO_SETTINGS_MODULE": "kokin.web.settings"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr
