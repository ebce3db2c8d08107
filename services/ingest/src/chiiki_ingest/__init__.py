"""chiiki_ingest."""
