"""Helpers shared by the test modules: the demo district's people, a case reported and
handled, meetings, notices, shifts, the bot as a subprocess, the demo played.

Test modules import from here (or use the fixtures in tests/conftest.py), never from one
another (tests/project/test_layering.py checks it).
"""

import pytest

# The helpers assert on what users see; pytest rewrites those asserts as it does in tests.
pytest.register_assert_rewrite(
    "tests.helpers.cases",
    "tests.helpers.demo",
    "tests.helpers.meetings",
    "tests.helpers.notices",
    "tests.helpers.people",
    "tests.helpers.process",
    "tests.helpers.shifts",
)
