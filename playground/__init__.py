"""Try the bot in the Microsoft 365 Agents Playground: `make playground` (python -m playground)."""
