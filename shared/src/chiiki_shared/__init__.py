"""chiiki_shared."""
