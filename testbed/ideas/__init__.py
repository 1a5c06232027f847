"""The company-wide idea box and its monthly campaigns."""
