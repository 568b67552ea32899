"""The Telegram face of gridbot: one module per conversation or command group.

Each module exposes ``build_handlers()``; only the composition root (bot/main.py)
imports this package. Handlers are thin: parse the update, call a service, reply
with texts from the catalogues.
"""
