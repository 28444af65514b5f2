"""The exchange's API endpoints (mounted by :mod:`kokin.api.api`): list and show files
(:mod:`.files`), upload a file for the bank (:mod:`.uploading`), download the original, a CSV or an
AES-256 password ZIP (:mod:`.downloading`).

Same rules as the web pages: permission by :mod:`kokin.accounts.permissions` through the exchange's
selectors, every change and download logged by :mod:`kokin.exchange.services`, every read by
``api_view``. Uploads are checked and encrypted while they arrive (:mod:`kokin.exchange.intake`),
size-limited per business (413) and refused when the hub's disk has no room for them (507). Downloads
are POSTs: a download is counted and makes a new file 取得済, and no GET or HEAD changes a file.
"""

# the endpoints join the router as their modules are imported: the files first, so that the OpenAPI
# document lists the paths in the same order as ever
from kokin.api.exchange import files  # noqa: F401

# isort: split
from kokin.api.exchange import downloading, uploading  # noqa: F401
from kokin.api.exchange._common import router

__all__ = ["router"]
