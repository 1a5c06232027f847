"""Hypothesis results: the store's sums handed to the statistics in ``analysis``."""
