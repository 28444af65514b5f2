"""Running the hub: the HTTPS server (:mod:`kokin.serve.server`), the one-machine process supervisor
(:mod:`kokin.serve.supervisor`) and the ``kokin hub serve`` / ``kokin manage`` commands
(:mod:`kokin.serve.commands`).
"""
