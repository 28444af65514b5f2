"""The vault's cryptography: the encryption scheme of bodies written now, and the data keys,
wrapped and unwrapped by the master key.

Key hierarchy (envelope encryption, as in Tink's KMS envelope AEAD):

* every file gets its own **data key**, a fresh Tink streaming-AEAD keyset
  (``AES256_GCM_HKDF_1MB``: AES-256-GCM in 1 MiB segments, per-file key derived with HKDF-SHA256
  from the keyset and a random salt, each segment authenticated on its own and the last one marked,
  so reordered, dropped, truncated or altered segments are refused);
* the data key is serialized and **wrapped** by the **master key** (a Tink AES256_GCM keyset outside
  the database, :mod:`kokin.vault.keys`) with the blob id as associated data, and only the wrapped
  form is kept, in the :class:`~kokin.vault.models.Blob` row;
* the body is encrypted with the blob id as associated data too, so neither a body nor a wrapped key
  can be moved to another blob.
"""

from __future__ import annotations

from uuid import UUID

import tink
from django.utils import timezone
from tink import secret_key_access, streaming_aead

from kokin.vault.errors import BlobShredded, MasterKeyError, TamperedBlob
from kokin.vault.keys import MasterKey, MasterKeyProvider
from kokin.vault.models import Blob

streaming_aead.register()

#: the encryption of bodies written now (recorded per blob)
SCHEME = "tink-aes256-gcm-hkdf-1mb"
DATA_KEY_TEMPLATE = streaming_aead.streaming_aead_key_templates.AES256_GCM_HKDF_1MB


def associated_data(blob_id: UUID) -> bytes:
    """What binds a body and a wrapped data key to their blob: the blob id."""
    return str(blob_id).encode("ascii")


def wrap_data_key(handle: tink.KeysetHandle, master: MasterKey, blob_id: UUID) -> bytes:
    """The data keyset, serialized and encrypted by the master key (the form kept in the row)."""
    from tink import proto_keyset_format

    clear = proto_keyset_format.serialize(handle, secret_key_access.TOKEN)
    return master.wrap(clear, associated_data(blob_id))


def unwrap_data_key(blob: Blob, provider: MasterKeyProvider) -> tink.KeysetHandle:
    """The blob's data keyset; :class:`TamperedBlob` if the wrapped key was altered."""
    from tink import proto_keyset_format

    if blob.shredded_at is not None or not blob.wrapped_key:
        raise BlobShredded(
            blob.id, f"{timezone.localtime(blob.shredded_at):%Y-%m-%d %H:%M}" if blob.shredded_at else ""
        )
    master = provider.get(blob.master_key_id)
    try:
        clear = master.unwrap(bytes(blob.wrapped_key), associated_data(blob.id))
        return proto_keyset_format.parse(clear, secret_key_access.TOKEN)
    except MasterKeyError:
        raise
    except Exception as exc:  # any failure to unwrap or parse: the wrapped key is not what was written
        raise TamperedBlob(
            blob.id,
            f"データ鍵 (マスター鍵 {blob.master_key_id} で暗号化) を復号できません",
            f"its wrapped data key (under master key {blob.master_key_id}) does not decrypt",
        ) from exc
