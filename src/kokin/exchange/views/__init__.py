"""The exchange's pages under ``/files/``. Each parses input, asks a selector (permission) and calls one
service, then renders; the operation log is written by the services (and for pages shown, by the
audit middleware).

Actions that change a file (approve, withdraw, inspect) answer GET with a confirmation page that shows
the file's summary, and POST with the change; no GET or HEAD changes a file. The download page (one
URL) shows the choices on GET and serves every download on POST (field ``as``): ``original``,
``csv`` (with ``encoding``), ``zip`` (makes the password ZIP, shows its password) and ``package``
(with ``token``: fetches that ZIP once). A download is counted, and a new file becomes 取得済, only then.

One module per kind of page: :mod:`.lists` (lists, a file's page, certificates), :mod:`.quarantine`
(the files a malware scan found, for those who see incidents), :mod:`.uploading`,
:mod:`.changes` (approve, withdraw, inspect) and :mod:`.downloading`; :mod:`._common` holds the context
of a file's page they share.
"""

from kokin.exchange.views.changes import approve, inspect, withdraw
from kokin.exchange.views.downloading import download
from kokin.exchange.views.lists import certificate_list, certificate_pdf, detail, file_list
from kokin.exchange.views.quarantine import quarantine_list
from kokin.exchange.views.uploading import upload

__all__ = [
    "approve",
    "certificate_list",
    "certificate_pdf",
    "detail",
    "download",
    "file_list",
    "inspect",
    "quarantine_list",
    "upload",
    "withdraw",
]
