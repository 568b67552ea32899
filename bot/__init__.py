"""gridbot: a Telegram bot for community grid governance (一网六员).

Building and village-group leaders report what they see; community and street
offices act on it. See README.md, and DESIGN.md for how the parts meet.
"""

__version__ = "0.1.0"

import os as _os

# Opt in now to python-telegram-bot 23's behaviour: durations (RetryAfter.retry_after and
# the like) are timedeltas. The code handles both; this silences the deprecation warning.
_os.environ.setdefault("PTB_TIMEDELTA", "1")
