"""Service hours and ESP leave: duty records, imports, monthly minimum, leave, reports."""
