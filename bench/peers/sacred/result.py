"""One line on stdout that the suite parses: `BENCH_RESULT {json}`.

Sacred and its tee-based output capture may print other lines; the marker
keeps the figure apart from them.
"""
import json
import sys


def emit(result):
    sys.stdout.write("BENCH_RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()
