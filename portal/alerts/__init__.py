"""Volume alerts: a day on which a recipient received far more disclosures for a purpose than it
usually does and than its agreement says to expect (docs/VOLUME_ALERTS.md)."""
