"""What the bot sends unasked, rendered from outbox rows, and how those messages read.

Each module has a ``RENDERERS`` mapping (outbox kind -> renderer; bot/main.py gathers
them): case cards and case notices to admins, supervisors, assignees and reporters
(``case_cards``), notices with their progress and coverage pages (``notices``), meeting
reminders and summaries (``meetings``), shift reminders (``shifts``), an ended report
(``report``), and the daily digest (``digest``). The conversations import the texts
they share with these messages from here, never the other way round.
"""
