"""File exchange (ファイル交換): mailboxes per business and data kind, the file lifecycle, four-eyes
approval, downloads, inspection (検収), retention and deletion certificates (消去証明書).

See ``docs/exchange.md``.
"""
