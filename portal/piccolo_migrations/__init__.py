"""The portal's Piccolo migrations (app ``portal``); a migration imports no application code."""
