"""Benchmarks: how fast gridbot is, measured, printed, never asserted by a test.

``python -m bench`` runs them all and prints a table of figures against their
targets; ``python -m bench.<name>`` runs one. They use the same offline Bot API
stand-in and the same SQLite files as the bot and its tests.
"""
