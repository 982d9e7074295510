"""Delivery of proactive messages: outbox, rate limits, Bot Connector sender."""
