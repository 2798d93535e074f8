"""Users, sign-in, sessions, invitations and integration tokens."""
