"""Hazards and the spillover channels that carry them across city borders."""
