"""The accessible web portal: server-rendered pages on the same services as the JSON API.

GOV.UK Design System components (``govuk-frontend-jinja`` macros, ``govuk-frontend`` styles built
at install time by :mod:`portal.web.assetbuild`) used unbranded. No page reads volunteer data
except through the disclosure gate; every page works without JavaScript.
"""
