"""Piccolo migrations, one folder per app; packaged so an installed wheel can migrate."""
