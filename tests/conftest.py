"""Test-wide fixtures: each driver's fixture module, loaded as a pytest plugin."""

pytest_plugins = [
    "tests.support.local",
    "tests.support.memory",
]
