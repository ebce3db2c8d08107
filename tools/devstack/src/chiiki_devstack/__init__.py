"""chiiki_devstack."""
