"""The deployment warnings of the ``KOKIN_*`` settings (``kokin manage check --deploy``; ``kokin hub serve``
and ``kokin demo`` run them unless ``KOKIN_DEBUG``): kokin.W001–W004, listed in :mod:`kokin.web.checks`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.http.request import validate_host

from kokin.web.checks import UNDELIVERED, origins, warning


@checks.register("kokin", deploy=True)
def deployment(**kwargs: Any) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    backend = settings.EMAIL_BACKEND
    if backend in UNDELIVERED:
        filed = backend == "django.core.mail.backends.filebased.EmailBackend"
        found.append(
            warning(
                "kokin.W001",
                "KOKIN_EMAIL_BACKEND",
                backend,
                "メールは配信されません。登録リンクや到着の通知が利用者に届かず、"
                + (f"{settings.EMAIL_FILE_PATH} にファイルとして残ります" if filed else "リンクがログに残ります"),
                "mail is not delivered: enrolment links and notices to operators are lost, "
                + (f"kept as files in {settings.EMAIL_FILE_PATH}" if filed else "links end up in logs"),
            )
        )
    if not settings.CLAMD:
        found.append(
            warning(
                "kokin.W004",
                "KOKIN_CLAMD",
                "",
                "ウイルス検査が無効です。アップロードされたファイルが検査されずに課へ届きます (別紙3 第6条3)",
                "no malware scan: uploaded files reach the departments unscanned",
            )
        )
    if not settings.SECURE:
        found.append(
            warning(
                "kokin.W002",
                "KOKIN_SECURE",
                0,
                "Cookie とリダイレクトが平文 HTTP 向けです (テスト専用)",
                "cookies and redirects are for plain HTTP (for tests only)",
            )
        )
    for origin in origins():
        host = urlsplit(origin).hostname or ""
        if host and not validate_host(host, settings.ALLOWED_HOSTS):
            found.append(
                warning(
                    "kokin.W003",
                    "KOKIN_WEBAUTHN_ORIGIN",
                    origin,
                    "このホストは KOKIN_ALLOWED_HOSTS にありません (パスキーとメールのリンクが使えません)",
                    "its host is not in KOKIN_ALLOWED_HOSTS (passkeys and links in mail would fail)",
                )
            )
    return found
