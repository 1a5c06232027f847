"""Pilots with their partner, metrics, hypotheses and iterations."""
