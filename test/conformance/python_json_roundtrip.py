"""Re-serialise JSON files the way Sacred's FileStorageObserver does
(json.dump(obj, sort_keys=True, indent=2)) and say which differ byte for byte.

    python python_json_roundtrip.py FILE...   -> prints a JSON list of files that differ
"""
import json
import sys

different = []
for path in sys.argv[1:]:
    with open(path) as f:
        text = f.read()
    if json.dumps(json.loads(text), sort_keys=True, indent=2) != text:
        different.append(path)
print(json.dumps(different))
