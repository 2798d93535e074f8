"""Shared migration code; the migrations themselves live next to their Piccolo app.

- ``ledger/piccolo_migrations`` (app ``ledger``), ``portal/piccolo_migrations`` (app ``portal``),
  ``portal/hours/piccolo_migrations`` (app ``hours``): generate with
  ``piccolo migrations new APP --auto --desc="..."`` and keep the generated file name.
- ``migrations.raw.raw_migration``: the one helper for hand-written migrations (SQL per engine,
  with its undo). The ledger's migrations never import this package.
"""
