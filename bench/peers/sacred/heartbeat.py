"""Heartbeat peer: time of one Sacred FileStorageObserver heartbeat after N stored points.

Drives `sacred.observers.FileStorageObserver` directly, the way Sacred's Run
does on each beat (run.py `_emit_heartbeat`): `log_metrics` with the points
logged since the last beat, then `heartbeat_event`. Sacred's log_metrics
reads the whole metrics.json and writes it back, so the beat grows with the
run; this script measures by how much.

    python heartbeat.py DIR SIZES BATCH REPEATS     e.g. /tmp/x 10000,100000 100 5
"""
import datetime
import os
import statistics
import sys
import time

from result import emit
from sacred.observers import FileStorageObserver


def series(start, count, now):
    return {
        "steps": list(range(start, start + count)),
        "values": [i * 0.001 for i in range(start, start + count)],
        "timestamps": [now] * count,
    }


def measure(base_dir, stored, batch, repeats):
    observer = FileStorageObserver(os.path.join(base_dir, str(stored)))
    now = datetime.datetime.utcnow()
    ex_info = {"name": "heartbeat", "base_dir": base_dir, "sources": [], "dependencies": [], "repositories": [], "mainfile": None}
    observer.started_event(ex_info, "main", {"hostname": "bench"}, now, {"seed": 1}, {"command": "main", "options": {}}, None)
    # The run so far: `stored` points already in metrics.json, as earlier beats left them.
    observer.log_metrics({"loss": series(0, stored, now)}, {})
    times = []
    step = stored
    for _ in range(repeats):
        new_points = {"loss": series(step, batch, datetime.datetime.utcnow())}
        step += batch
        start = time.perf_counter_ns()
        observer.log_metrics(new_points, {})
        observer.heartbeat_event({}, "", datetime.datetime.utcnow(), None)
        times.append((time.perf_counter_ns() - start) / 1e6)
    return {"storedPoints": stored, "batch": batch, "repeats": repeats, "medianMs": statistics.median(times), "timesMs": times}


def main():
    base_dir, sizes, batch, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    emit({"points": [measure(base_dir, int(size), batch, repeats) for size in sizes.split(",")]})


if __name__ == "__main__":
    main()
