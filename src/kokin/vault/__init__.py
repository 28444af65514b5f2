"""The vault: per-file encryption at rest, master keys outside the database, key rotation,
crypto-shredding and password-protected export packages (docs/vault.md)."""
