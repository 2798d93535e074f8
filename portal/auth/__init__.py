"""Who is asking: identities, sessions, tokens, CSRF and the guards declared on routes."""
