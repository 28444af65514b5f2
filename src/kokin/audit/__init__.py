"""The operation log (操作ログ): append-only, hash-chained, verifiable, exportable."""
