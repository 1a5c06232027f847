"""Costs, benefits and the existing programmes a pilot's returns are compared with."""
