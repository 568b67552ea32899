"""``python -m bot import-roster``: placeholder until the roster import lands."""
