"""The bank side of the link: the bank agent (spool folders, transfers with the hub, jobs, history) and
the bank simulator (the designated bank and its collecting banks). It talks to the hub only over
HTTPS and does not import Django."""
