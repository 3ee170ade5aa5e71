# CCWMini/4. Expected: pass.
from datetime import date, timedelta

def task_func(start, end):
    """
    Count the weekdays (Monday to Friday) between two ISO dates, both included.

    Parameters:
    - start (str): The first day, as YYYY-MM-DD.
    - end (str): The last day, as YYYY-MM-DD.

    Returns:
    - int: The number of weekdays from start to end.

    Raises:
    - ValueError: If a date is malformed or end is before start.

    Requirements:
    - datetime

    Example:
    >>> task_func("2024-01-01", "2024-01-07")
    5
    """
# ---- canonical_solution ----
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    if last < first:
        raise ValueError("end is before start")
    days = (last - first).days + 1
    return sum(1 for i in range(days) if (first + timedelta(days=i)).weekday() < 5)
# ---- test ----
import unittest

class TestCases(unittest.TestCase):
    def test_one_week(self):
        self.assertEqual(task_func("2024-01-01", "2024-01-07"), 5)

    def test_weekend_only(self):
        self.assertEqual(task_func("2024-01-06", "2024-01-07"), 0)

    def test_same_day(self):
        self.assertEqual(task_func("2024-02-29", "2024-02-29"), 1)

    def test_leap_february(self):
        self.assertEqual(task_func("2024-02-01", "2024-02-29"), 21)

    def test_reversed(self):
        with self.assertRaises(ValueError):
            task_func("2024-01-02", "2024-01-01")

    def test_malformed(self):
        with self.assertRaises(ValueError):
            task_func("2024-13-01", "2024-12-31")
