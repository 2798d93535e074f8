"""The force's ESP coordinator: onboarding employers, volunteers, links, users and tokens."""
