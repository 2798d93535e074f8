"""ESP Portal: Employer Supported Policing, with every disclosure ledgered before it leaves."""
