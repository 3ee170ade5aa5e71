"""Checks that sanitized reference programs mean what the references mean.

Reads JSON lines {"id", "reference", "sanitized"} and prints one JSON line
{"id", "verdict"} each: "equal" (same bytes after strip()), "semantic"
(the sanitized module's top-level statements are the reference's, in
order, minus statements that are no import and no definition, and minus
definitions of names the kept code never mentions), or the reason it is
neither. Independent of helper.py: it compares ast dumps only.
"""
import ast
import json
import sys


def defined(st):
    if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {st.name}
    targets = st.targets if isinstance(st, ast.Assign) else [st.target] if isinstance(st, ast.AnnAssign) else []
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def mentioned(stmts):
    out = set()
    for st in stmts:
        for n in ast.walk(st):
            if isinstance(n, ast.Name):
                out.add(n.id)
            elif isinstance(n, ast.Attribute):
                out.add(n.attr)
    return out


def verdict(ref, san):
    if san == ref.strip():
        return "equal"
    try:
        r, s = ast.parse(ref).body, ast.parse(san).body
    except SyntaxError as e:
        return "does not parse: %s" % e
    dumps = [ast.dump(x) for x in s]
    kept, dropped, i = [], [], 0
    for st in r:
        if i < len(dumps) and ast.dump(st) == dumps[i]:
            kept.append(st)
            i += 1
        else:
            dropped.append(st)
    if i != len(dumps):
        return "statement %d of the sanitized code is not in the reference" % (i + 1)
    used = mentioned(kept)
    for st in dropped:
        if isinstance(st, (ast.Import, ast.ImportFrom)):
            return "dropped an import at line %d" % st.lineno
        names = defined(st)
        if names & used:
            return "dropped a definition of %s at line %d that the kept code uses" % (sorted(names & used), st.lineno)
    return "semantic"


for line in sys.stdin:
    req = json.loads(line)
    print(json.dumps({"id": req["id"], "verdict": verdict(req["reference"], req["sanitized"])}))
