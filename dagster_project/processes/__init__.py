"""Child processes of a run that must not outlive it."""
