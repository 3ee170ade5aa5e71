# CCWMini/13. Expected: fail. The reference was written as a script: on bad
# input it calls sys.exit() instead of raising ValueError. The SystemExit
# escapes assertRaises and is recorded as an error of test_duplicate_key and
# test_malformed_line; a harness must keep running the other tests.
def task_func(text):
    """
    Parse "key = value" lines into a dictionary. Blank lines and lines starting
    with '#' are ignored; spaces around keys and values are stripped.

    Parameters:
    - text (str): The configuration text.

    Returns:
    - dict: Maps each key to its value (both strings).

    Raises:
    - ValueError: If a line has no '=' or a key appears twice.

    Example:
    >>> task_func("# settings\\nname = ccw\\nturns=10\\n")
    {'name': 'ccw', 'turns': '10'}
    """
# ---- canonical_solution ----
    import sys

    config = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            sys.exit(f"line {number}: expected key = value")
        key = key.strip()
        if key in config:
            sys.exit(f"line {number}: duplicate key {key!r}")
        config[key] = value.strip()
    return config
# ---- test ----
import unittest

class TestCases(unittest.TestCase):
    def test_example(self):
        self.assertEqual(task_func("# settings\nname = ccw\nturns=10\n"), {"name": "ccw", "turns": "10"})

    def test_value_with_equals(self):
        self.assertEqual(task_func("expr = a=b"), {"expr": "a=b"})

    def test_empty(self):
        self.assertEqual(task_func("\n\n# only comments\n"), {})

    def test_malformed_line(self):
        with self.assertRaises(ValueError):
            task_func("name = ccw\njust words\n")

    def test_duplicate_key(self):
        with self.assertRaises(ValueError):
            task_func("a = 1\na = 2\n")
