"""The hub side of the bank link (docs/banklink.md): bank system accounts (:mod:`.accounts`) and the
authentication of their requests (:mod:`.auth`); files for the bank (:mod:`.downloads`) and files from
the bank by tus (:mod:`.uploads`, :mod:`.finishing`); the transfer history (:mod:`.history`). The
HTTP API under ``/banklink/v1/`` is :mod:`.api` (its vocabulary :mod:`.http`), the history page
:mod:`.views`, the ``kokin banklink`` commands :mod:`.commands`."""
