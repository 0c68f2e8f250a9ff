"""Check JSON spellings against Python's own json (what Sacred's file observer writes).

    python python_json_spelling.py < cases.json   -> prints a JSON list of failures

cases.json: {"numbers": [[bits, spelled], ...], "strings": [[text, spelled], ...], "documents": [text, ...]}
- bits: the IEEE-754 double as 16 hex digits (big-endian), so no spelling is involved in passing it;
- a number spelled as an int must read back in Python as the same value and be written again the same way;
  any other spelling must be exactly json.dumps(float);
- a string must be exactly json.dumps(text) (ensure_ascii=True);
- a document must be exactly json.dumps(json.loads(document), sort_keys=True, indent=2).
"""
import json
import math
import struct
import sys

cases = json.load(sys.stdin)
failures = []
for bits, spelled in cases["numbers"]:
    value = struct.unpack(">d", bytes.fromhex(bits))[0]
    read = json.loads(spelled)
    if isinstance(read, int):
        ok = float(read) == value and json.dumps(read) == spelled and not (value == 0 and math.copysign(1, value) < 0)
        if not ok:
            failures.append({"bits": bits, "ours": spelled, "python": repr(value)})
    elif json.dumps(value) != spelled:
        failures.append({"bits": bits, "ours": spelled, "python": json.dumps(value)})
for text, spelled in cases["strings"]:
    if json.dumps(text) != spelled:
        failures.append({"text": text, "ours": spelled, "python": json.dumps(text)})
for document in cases["documents"]:
    python = json.dumps(json.loads(document), sort_keys=True, indent=2)
    if python != document:
        failures.append({"ours": document, "python": python})
print(json.dumps(failures))
