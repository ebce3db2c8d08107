"""A local stand-in for e-Stat's API 3.0, answering from recorded responses and table files."""

from chiiki_ingest.replay.app import ReplayConfig, create_app

__all__ = ["ReplayConfig", "create_app"]
