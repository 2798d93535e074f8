"""The hours Piccolo migrations (app ``hours``); a migration imports no application code."""
