"""The demo ward on one machine (``kokin demo``): the ward's departments, businesses and logins
(:mod:`kokin.demo.ward`), the bank side (:mod:`kokin.demo.bankside`) and the command
(:mod:`kokin.demo.commands`).

Nothing is imported here: :mod:`kokin.demo.ward` needs Django set up, the command module must load
without it (``kokin --help``).
"""
