"""Each analytics feature's logic, one module per route family: no HTTP, called by the router."""
