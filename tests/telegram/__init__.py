"""Tests of telegram."""
