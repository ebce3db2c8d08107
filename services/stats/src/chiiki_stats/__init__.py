"""chiiki_stats."""
