# CCWMini/12. Expected: fail. Deliberate bug (a copy-paste slip): upper-case
# letters are shifted from ord('a') instead of ord('A'). Fails
# test_mixed_case and test_upper_case.
import string

def task_func(text, shift):
    """
    Encrypt a text with a Caesar cipher: every ASCII letter moves shift places
    along the alphabet, wrapping around and keeping its case. Other characters
    stay as they are.

    Parameters:
    - text (str): The plain text.
    - shift (int): How far to move each letter; may be negative.

    Returns:
    - str: The encrypted text.

    Requirements:
    - string

    Example:
    >>> task_func("Hello, World!", 3)
    'Khoor, Zruog!'
    """
# ---- canonical_solution ----
    result = []
    for char in text:
        if char in string.ascii_lowercase:
            base = ord("a")
        elif char in string.ascii_uppercase:
            base = ord("a")
        else:
            result.append(char)
            continue
        result.append(chr(base + (ord(char) - base + shift) % 26))
    return "".join(result)
# ---- test ----
import unittest

class TestCases(unittest.TestCase):
    def test_lower_case(self):
        self.assertEqual(task_func("abc", 1), "bcd")

    def test_wraps_around(self):
        self.assertEqual(task_func("xyz", 3), "abc")

    def test_negative_shift(self):
        self.assertEqual(task_func("abc", -1), "zab")

    def test_upper_case(self):
        self.assertEqual(task_func("ABC", 1), "BCD")

    def test_mixed_case(self):
        self.assertEqual(task_func("Hello, World!", 3), "Khoor, Zruog!")
