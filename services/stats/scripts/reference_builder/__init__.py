"""Builders for the stats service's reference data (regions, boundaries, indicator catalog)."""
