"""The force, employer organisations, volunteers and who employs whom."""
