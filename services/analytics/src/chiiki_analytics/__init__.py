"""chiiki_analytics."""
