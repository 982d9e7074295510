"""The web edge: the Teams personal tab "Mit forløb" served by the bot's own aiohttp app."""
