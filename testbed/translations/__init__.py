"""The French catalogue (fr/LC_MESSAGES) and the check that it is complete."""
