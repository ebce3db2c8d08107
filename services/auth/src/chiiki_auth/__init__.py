"""chiiki_auth."""
