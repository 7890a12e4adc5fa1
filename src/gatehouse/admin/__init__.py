"""Services shared by the CLI, `apply` and (later) the admin API."""
