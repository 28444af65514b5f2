"""The vault's service API: what the rest of the hub calls to keep a file encrypted at rest
(別紙3 第8条), read it back, crypto-shred it and rotate the master keys (docs/vault.md).

Each job lives in its own module; this one only gathers their public names, so callers keep one
face (``from kokin.vault import services as vault``; ``vault.seal(...)``):

* :mod:`kokin.vault.crypto`: the scheme, data keys wrapped and unwrapped by the master key;
* :mod:`kokin.vault.sealing`: :class:`Sealer`, :class:`Sealed`, :func:`seal`, :func:`store`;
* :mod:`kokin.vault.reading`: :class:`BlobReader`, :func:`open_blob`, :func:`read_all`;
* :mod:`kokin.vault.shredding`: :func:`shred`, :func:`sweep`;
* :mod:`kokin.vault.rotation`: :func:`rotate_master_key`, :func:`destroy_retired_key`, :func:`key_status`.

Every function writes its operation-log entry where an operator (``actor``, an
:class:`~kokin.audit.actor.Actor` in the role it acts in) is involved; shredding and master-key
rotation are always logged. None of them sees the HTTP request.
"""

from __future__ import annotations

from kokin.vault.reading import BlobReader, open_blob, read_all
from kokin.vault.rotation import KeyStatus, Rotation, destroy_retired_key, key_status, rotate_master_key
from kokin.vault.sealing import Sealed, Sealer, seal, store
from kokin.vault.shredding import shred, sweep

__all__ = [
    "BlobReader",
    "KeyStatus",
    "Rotation",
    "Sealed",
    "Sealer",
    "destroy_retired_key",
    "key_status",
    "open_blob",
    "read_all",
    "rotate_master_key",
    "seal",
    "shred",
    "store",
    "sweep",
]
