"""gridbot without Telegram: the Bot API stand-in, the offline harness and the demo.

``standin`` answers the Bot API methods the bot uses at python-telegram-bot's
``BaseRequest`` seam and enforces Telegram's limits; ``harness`` runs the real
Application on it (tests, benchmarks, the demo); ``demo`` is ``python -m bot demo``.
"""
