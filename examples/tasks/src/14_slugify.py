# CCWMini/14. Expected: fail with a module-level error (BigCodeBench's key
# ALL): the reference decorates a helper with lru_cache but never imports it,
# so defining the module raises NameError before any test runs.
import re

def task_func(title):
    """
    Turn a title into a URL slug: lower-case ASCII words joined by single hyphens.

    Parameters:
    - title (str): The title.

    Returns:
    - str: The slug; empty when the title has no letters or digits.

    Requirements:
    - re

    Example:
    >>> task_func("  Hello, World! 2024 ")
    'hello-world-2024'
    """
# ---- canonical_solution ----
    words = [_normalize(word) for word in re.split(r"[^A-Za-z0-9]+", title)]
    return "-".join(word for word in words if word)


@lru_cache(maxsize=None)
def _normalize(word):
    return word.lower()
# ---- test ----
import unittest

class TestCases(unittest.TestCase):
    def test_example(self):
        self.assertEqual(task_func("  Hello, World! 2024 "), "hello-world-2024")

    def test_already_a_slug(self):
        self.assertEqual(task_func("multi-turn-code"), "multi-turn-code")

    def test_no_words(self):
        self.assertEqual(task_func("!!! ???"), "")
