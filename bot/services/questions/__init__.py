"""Questions the bot cannot answer: desk.py (QuestionDesk: the ask flow and the instructors' answers), channel.py, reminders.py, refresh.py."""
