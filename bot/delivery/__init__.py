"""HTTP clients for outbound calls (Bot Connector, Microsoft Graph) and the retry arithmetic they share."""
