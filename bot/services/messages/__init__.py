"""The outbox's message payloads: builder.py (plan rows to cards), render.py (card_message), links.py (Teams deep links), wording.py (filling texts per reader)."""
