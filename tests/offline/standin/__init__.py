"""Tests of the Bot API stand-in."""
