import pytest

# The shared modules' asserts explain themselves as a test's do: registered before anything imports them.
pytest.register_assert_rewrite("tests.environment", "tests.helpers", "tests.disclosure", "tests.browser")
