"""The ``esp-portal`` command line."""
