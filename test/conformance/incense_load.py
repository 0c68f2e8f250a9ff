"""Load runs with incense's FileSystemExperimentLoader (a reader no one on
this project wrote) and print what it saw as JSON.

    python incense_load.py RUNS_DIR ID...
"""
import json
import math
import sys

from incense import FileSystemExperimentLoader
from pyrsistent import thaw


def plain(value):
    """NaN is not JSON; report it as the string "NaN"."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


runs_dir, ids = sys.argv[1], [int(i) for i in sys.argv[2:]]
loader = FileSystemExperimentLoader(runs_dir)
out = {}
for run_id in ids:
    exp = loader.find_by_id(run_id)
    data = thaw(exp._data)
    out[str(run_id)] = {
        "id": exp.id,
        # dotted access is how incense users read runs; it goes through incense's __getattr__
        "status": exp.status,
        "name": exp.experiment["name"],
        "config": data["config"],
        "info": data["info"],
        "result": data.get("result"),
        "captured_out": exp.captured_out,
        "metrics": {
            name: {"steps": [int(s) for s in series.index], "values": [plain(float(v)) for v in series.values], "index_name": series.index.name}
            for name, series in exp.metrics.items()
        },
        "artifacts": {name: artifact.file.read().decode("utf-8") for name, artifact in exp.artifacts.items()},
    }
print(json.dumps(out))
