"""An independent Python model of how dspy 2.4.12 lays out a prompt
(dsp/adapters/template.py, written from reading it, not copied), used by
render_golden_test.go to check the dspy-style templates.

Input (stdin): a JSON list of {"name", "instructions", "fields": [{"prefix",
"desc", "value" (null or text), "reasoning"}]}. Output: a JSON list of the
prompts. Every field keeps its text as is (the original declares them with
format=str) except the reasoning field, whose text dspy's default format
collapses to single spaces. There are no demonstrations.
"""

import json
import sys


def formatted(field, text):
    if field["reasoning"]:
        return " ".join(text.split())
    return text


def query(fields, example, augmented_guidelines):
    filled = [example.get(i) not in (None, "") for i in range(len(fields))]
    if not any(filled):
        example[0] = ""
    else:
        for i in range(1, len(fields)):
            if filled[i - 1] and not any(filled[i:]):
                example[i] = ""
                break
    parts = []
    for i, field in enumerate(fields):
        if example.get(i) is None:
            continue
        text = formatted(field, example[i])
        gap = "\n" if "\n" in text else " "
        parts.append(field["prefix"] + gap + text)
    if augmented_guidelines and example.get("augmented"):
        return "\n\n".join(p for p in parts if p)
    return "\n".join(p for p in parts if p)


def prompt(job):
    fields = job["fields"]
    augmented = len(fields) > 3 or any("\n" in f["desc"] for f in fields)
    guide_example = {i: f["desc"] for i, f in enumerate(fields)}
    guide_example["augmented"] = augmented
    guidelines = "Follow the following format.\n\n" + query(fields, guide_example, augmented)
    example = {i: f["value"] for i, f in enumerate(fields) if f["value"] is not None}
    long_query = augmented
    if long_query:
        example["augmented"] = True
    q = query(fields, example, augmented)
    if len(q.split("\n")) > len(fields):
        if not example.get("augmented", False):
            example["augmented"] = True
            q = query(fields, example, augmented)
    parts = [job["instructions"], guidelines, q]
    return "\n\n---\n\n".join(p.strip() for p in parts if p).strip()


json.dump([prompt(job) for job in json.load(sys.stdin)], sys.stdout)
