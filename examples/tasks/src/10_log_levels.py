# CCWMini/10. Expected: pass, after printing about 7 MB: the reference keeps a
# debugging print of every line (stdout) and of every unparsable line (stderr).
# It checks that a harness swallows or caps a program's output.
import re
import sys
from collections import Counter

def task_func(log_text):
    """
    Count the log lines of each level in a log whose lines look like
    "2024-05-01 12:00:00 LEVEL message". Lines that do not match are skipped.

    Parameters:
    - log_text (str): The log, one entry per line.

    Returns:
    - dict: Maps each level (for example 'INFO' or 'ERROR') to its number of lines.

    Requirements:
    - re
    - sys
    - collections

    Example:
    >>> task_func("2024-05-01 12:00:00 INFO up\\n2024-05-01 12:00:01 ERROR down\\n")
    {'INFO': 1, 'ERROR': 1}
    """
# ---- canonical_solution ----
    pattern = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} ([A-Z]+) ")
    counts = Counter()
    for number, line in enumerate(log_text.splitlines(), 1):
        match = pattern.match(line)
        if match is None:
            print(f"skipping line {number}: {line!r}", file=sys.stderr)
            continue
        print(f"parsed line {number}: level={match.group(1)} text={line!r}")
        counts[match.group(1)] += 1
    return dict(counts)
# ---- test ----
import unittest

def make_log(lines):
    levels = ["INFO", "DEBUG", "WARNING", "ERROR"]
    out = []
    for i in range(lines):
        out.append(f"2024-05-01 12:{i // 60 % 60:02d}:{i % 60:02d} {levels[i % 4]} request {i} handled")
        if i % 10 == 0:
            out.append(f"    continuation of request {i}")
    return "\n".join(out)

class TestCases(unittest.TestCase):
    def test_small(self):
        self.assertEqual(task_func("2024-05-01 12:00:00 INFO up\n2024-05-01 12:00:01 ERROR down\n"),
                         {"INFO": 1, "ERROR": 1})

    def test_large_log(self):
        self.assertEqual(task_func(make_log(40000)),
                         {"INFO": 10000, "DEBUG": 10000, "WARNING": 10000, "ERROR": 10000})

    def test_large_log_again(self):
        self.assertEqual(sum(task_func(make_log(40000)).values()), 40000)

    def test_nothing_matches(self):
        self.assertEqual(task_func("no\ntimestamps\nhere"), {})
