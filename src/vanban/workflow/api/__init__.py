"""REST API of the workflow, one module per area. Each module defines `register(router)`."""
