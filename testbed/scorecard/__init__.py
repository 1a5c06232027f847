"""The company scorecard: shared indicators with targets, their links, progress by department."""
