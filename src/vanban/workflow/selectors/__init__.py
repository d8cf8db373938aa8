"""Permission-scoped reads of the workflow, one module per area."""
