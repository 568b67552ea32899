"""gridbot: a Telegram bot for community grid governance (一网六员).

Building and village-group leaders report what they see; community and street
offices act on it. See README.md, and DESIGN.md for how the parts meet.
"""

__version__ = "0.1.0"
