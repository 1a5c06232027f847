"""Suggestions from other departments, followed from proposal to adoption."""
