"""Compares helper.py's longest_code with the plain rule it must match.

The plain rule (BigCodeBench's code_extract): try every range of lines
i..j with j > i in order, keep the first with strictly more non-blank
lines than any before that parses; nothing found gives line 0. Random
texts are drawn from lines chosen to stress the pruning: fences, prose,
openers of brackets, strings and blocks, stray dedents, NUL bytes.
Usage: longest_code_check.py HELPER SEED COUNT; prints "ok N" or the
first mismatch.
"""
import ast
import random
import sys


def plain(text):
    lines = text.split("\n")
    pair, best = (0, 0), 0
    for i in range(len(lines)):
        for j in range(i + 1, len(lines)):
            try:
                ast.parse("\n".join(lines[i:j + 1]))
            except Exception:
                continue
            count = sum(1 for line in lines[i:j + 1] if line.strip())
            if count > best:
                best, pair = count, (i, j)
    return "\n".join(lines[pair[0]:pair[1] + 1])


POOL = [
    "x = 1", "", "   ", "\t", "\xa0", "def f():", "    return 1", "Sure!", "Here is the code:",
    "```python", "```", "import os", "(", ")", "'''", '"""', "y = (", "  z", "if x:", "pass",
    "class A:", "    pass", "# c", "x \\", "\\", "match x:", "    case 1:", "        pass", "case 2:",
    "else:", "elif y:", "@dec", "It's fine", "1. First", "- item", "x = 1 +", "2", "lambda: (",
    "f'{x", "}'", "print 'a'", "\x00", "try:", "except:", "finally:", "with a as b:", '    """',
    "async def g():", "    await h()", "x = [1,", "  2]",
]

helper, seed, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ns = {"__name__": "helper"}
exec(compile(open(helper).read(), helper, "exec"), ns)
rng = random.Random(seed)
for _ in range(count):
    text = "\n".join(rng.choice(POOL) for _ in range(rng.randint(1, 14)))
    want, (got, bounded) = plain(text), ns["longest_code"](text, 1 << 40)
    if got != want or bounded:
        print("mismatch on %r: got %r, want %r" % (text, got, want))
        sys.exit(1)
print("ok", count)
