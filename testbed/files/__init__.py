"""Pilots as files: a folder with pilot.toml and CSV files, loaded and exported."""
