"""An independent Python model of the original's execution-feedback path,
used by bcb_test.go to check the Go renderer byte for byte.

It follows, step by step, what the original code does (written from
reading it, not copied): the bigcodebench fork's evaluator turns a
unittest result into `details` (failures, then errors; dict insertion
order; "ALL" on a module-level exception; no details when the process never
reported), and ConvCodeWorld's pot.py renders them (uppercased key,
traceback, blank-line join; partial coverage from extract_methods.py's
ast.walk order; trimming with str.splitlines()).

Input (stdin): a JSON list of {"task_id", "test", "status", "tests":
[{"name", "status", "message"}], "trims": [[front, rear], ...]}, where
tests is the sandbox's list in run order. Output (stdout): a JSON list of
{"task_id", "visible", "full", "partial", "trimmed": [...]}. With the
argument "visible" it reads one test module and prints its names.
"""

import ast
import json
import sys

SENTINEL = "Passed all test runs"
SHOWN = 3


def details_of(status, tests):
    # The fork fills details only after suite.run returned (or with ALL
    # when an exception escaped); a process that never reported leaves it
    # empty and the status becomes timeout.
    if status != "fail":
        return {}
    for t in tests:
        if t["name"] == "ALL" and t["status"] in ("fail", "error", "timeout"):
            return {"ALL": t["message"]}
    failures = [(t["name"], t["message"]) for t in tests if t["status"] == "fail"]
    errors = [(t["name"], t["message"]) for t in tests if t["status"] in ("error", "timeout")]
    details = {}
    for key, trace in failures + errors:
        details[key] = trace
    return details


class _Methods(ast.NodeVisitor):
    def __init__(self):
        self.names = []

    def visit_FunctionDef(self, node):
        self.names.append(node.name)
        self.generic_visit(node)


def visible_methods(test_source):
    visitor = _Methods()
    for node in ast.walk(ast.parse(test_source)):
        if isinstance(node, ast.ClassDef):
            visitor.visit(node)
    return visitor.names


def render(status, details, names=None, trim=False, front_trim=2000, rear_trim=4000):
    if status == "pass":
        text = SENTINEL
    else:
        items = details.items()
        if names is not None:
            items = [(k, v) for k, v in items if k in names]
        text = "\n".join("%s\n%s\n" % (k.upper(), v) for k, v in items)
        if names is not None and text == "":
            text = SENTINEL
    if len(text) >= 8000 or trim:
        lines = text.splitlines()
        if len(lines) >= 10:
            window = 5
        elif len(lines) == 1:
            window = 1
        else:
            window = len(lines) // 2
        head = "\n".join(lines[:window])[:front_trim]
        tail = "\n".join(lines[-window:])[-rear_trim:]
        text = head + "\n...\n" + tail
    return text


def main():
    out = []
    for job in json.load(sys.stdin):
        details = details_of(job["status"], job["tests"])
        names = visible_methods(job["test"])
        out.append({
            "task_id": job["task_id"],
            "visible": names,
            "full": render(job["status"], details),
            "partial": render(job["status"], details, names[:SHOWN]),
            "trimmed": [render(job["status"], details, None, True, f, r) for f, r in job["trims"]],
        })
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1:] == ["visible"]:
        json.dump(visible_methods(sys.stdin.read()), sys.stdout)
    else:
        main()
