"""Tests of bot/documents."""
