"""content/ as domain objects: every file LEAD edits is read and checked here, errors with file:line."""
