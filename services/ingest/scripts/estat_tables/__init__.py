"""Builders for e-Stat API v3.0 getStatsData bodies replayed by the ingest service."""
