# CCWMini/3. Expected: pass.
import csv
import io
import statistics

def task_func(csv_text, group_column, value_column):
    """
    Read CSV text with a header row and compute the mean of one numeric column for
    each value of another column.

    Parameters:
    - csv_text (str): CSV data; the first row names the columns.
    - group_column (str): The column to group by.
    - value_column (str): The numeric column to average.

    Returns:
    - dict: Maps each group to the mean of its values, rounded to 2 decimals.

    Raises:
    - KeyError: If either column is not in the header.
    - ValueError: If a value is not a number.

    Requirements:
    - csv
    - io
    - statistics

    Example:
    >>> task_func("city,temp\\nOslo,3\\nRome,18\\nOslo,5\\n", "city", "temp")
    {'Oslo': 4.0, 'Rome': 18.0}
    """
# ---- canonical_solution ----
    reader = csv.DictReader(io.StringIO(csv_text))
    header = reader.fieldnames or []
    for column in (group_column, value_column):
        if column not in header:
            raise KeyError(column)
    groups = {}
    for row in reader:
        groups.setdefault(row[group_column], []).append(float(row[value_column]))
    return {group: round(statistics.mean(values), 2) for group, values in groups.items()}
# ---- test ----
import unittest

class TestCases(unittest.TestCase):
    def test_example(self):
        data = "city,temp\nOslo,3\nRome,18\nOslo,5\n"
        self.assertEqual(task_func(data, "city", "temp"), {"Oslo": 4.0, "Rome": 18.0})

    def test_rounding(self):
        data = "k,v\na,1\na,2\na,2\n"
        self.assertEqual(task_func(data, "k", "v"), {"a": 1.67})

    def test_missing_column(self):
        with self.assertRaises(KeyError):
            task_func("k,v\na,1\n", "k", "w")

    def test_not_a_number(self):
        with self.assertRaises(ValueError):
            task_func("k,v\na,one\n", "k", "v")

    def test_header_only(self):
        self.assertEqual(task_func("k,v\n", "k", "v"), {})
