"""APScheduler setup and the job functions (plain async functions, clock injected)."""
