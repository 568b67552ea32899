"""``python -m bot demo``: the offline demo (runner), its district and its scripts."""
