"""What the bot sends unasked, rendered from outbox rows: case cards and notices to
admins, supervisors, assignees and reporters (``case_cards``), and the daily digest."""
