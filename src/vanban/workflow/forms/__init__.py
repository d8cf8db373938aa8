"""Forms of the workflow's pages, one module per area."""
