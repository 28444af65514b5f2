"""Test support, importable from every test module (``tests`` is on pytest's ``pythonpath``).

:mod:`support.records` builds and breaks Zengin debit files byte by byte for the format tests;
:mod:`support.exchange` makes valid files of every format and puts them in a business's mailboxes;
:mod:`support.audit` switches off the operation log's append-only triggers where a test must;
:mod:`support.endpoints` is the role × endpoint registry that ``tests/hub/test_role_matrix.py`` walks;
:mod:`support.otp` gives the TOTP code an authenticator app would show; :mod:`support.mail` holds what
the test SMTP server received; :mod:`support.live` starts a real hub (``kokin hub serve``) and
:mod:`support.faultproxy` puts a misbehaving network between it and the bank agent.
Fixtures stay in the ``conftest.py`` files.
None of it is part of the hub: no ``kokin`` module imports it (an import contract checks that).
"""
