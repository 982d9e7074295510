"""The outbox, the one way proactive messages go out: writer, sender, pacing, status, in-place updates.

Import the module you need (bot.outbox.writer, bot.outbox.sender, …): this package imports none of them,
so a command that only queues rows never loads the sender's HTTP client.
"""
