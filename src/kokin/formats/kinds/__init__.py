"""The data kinds: one module per file format the hub carries, each with the same face.

A kind module (``zengin_debit``, ``mpn_receipt``, ``general_receipt`` with its waste-fee variant
``general_receipt.waste``, ``special_receipt``, ``special_breakdown``) declares its ``LAYOUT`` and
exposes ``NAME``, ``parse``, ``validate``, ``iter_records``, ``looks_like``, ``build`` and
``summary`` bound to it; :data:`kokin.formats.FORMATS` maps the CLI names to them. The field
groups the Zengin family shares (header, collection data prefix, trailer totals, common fields) are
in ``_zengin``, so a kind lists only what is its own.
"""
