"""The ledger's Piccolo migrations (app ``ledger``); self-contained: they import only Piccolo."""
