"""The logic of each stats feature, one module per route family: no HTTP, called by `routers/`."""
