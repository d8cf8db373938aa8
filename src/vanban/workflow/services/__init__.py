"""Every write of the workflow, one module per area (assignment, drafting, dossiers, meetings,
reminders). Views, the API, commands and tasks call these and nothing else to change data."""
