"""MongoDB peer: metric points per second through Sacred's MongoObserver.

Drives `sacred.observers.MongoObserver` directly, the way Sacred's Run does:
`started_event`, then one `log_metrics` per heartbeat with every point logged
since the previous beat (one `$push/$each` update per metric), then
`completed_event`. Timed from the first log_metrics to the last reply.

    python mongo_throughput.py URL DB POINTS BATCH METRICS
"""
import datetime
import sys
import time

import pymongo.common
from result import emit
from sacred.observers import MongoObserver

# The project's test server (mongo-java-server, test/support/mongo.ts) reports
# wire version 8 (MongoDB 4.2), the floor of the Node driver; pymongo 4.20
# refuses anything below 9 before sending a command. Every operation Sacred's
# observer uses here (insert, update with $push/$each, $set, find) exists
# since long before 4.2, so the check is lowered instead of changing the
# server both sides share. A real MongoDB (MONGODB_URL) is unaffected.
pymongo.common.MIN_SUPPORTED_WIRE_VERSION = min(pymongo.common.MIN_SUPPORTED_WIRE_VERSION, 8)


def main():
    url, db_name = sys.argv[1], sys.argv[2]
    points, batch, metric_count = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    observer = MongoObserver(url=url, db_name=db_name)
    now = datetime.datetime.utcnow()
    ex_info = {"name": "mongo_throughput", "base_dir": "/tmp", "sources": [], "dependencies": [], "repositories": [], "mainfile": None}
    observer.started_event(ex_info, "main", {"hostname": "bench"}, now, {"seed": 1}, {"command": "main", "options": {}}, None)
    names = ["metric%d" % m for m in range(metric_count)]
    per_metric = max(1, batch // metric_count)
    info = {}
    sent = 0
    step = 0
    start = time.perf_counter_ns()
    while sent < points:
        stamp = datetime.datetime.utcnow()
        count = min(per_metric, (points - sent + metric_count - 1) // metric_count)
        steps = list(range(step, step + count))
        values = [s * 0.001 for s in steps]
        stamps = [stamp] * count
        observer.log_metrics({name: {"steps": steps, "values": values, "timestamps": stamps} for name in names}, info)
        observer.heartbeat_event(info, "", stamp, None)
        step += count
        sent += count * metric_count
    elapsed = (time.perf_counter_ns() - start) / 1e9
    observer.completed_event(datetime.datetime.utcnow(), None)
    stored = sum(len(doc["values"]) for doc in observer.metrics.find({"run_id": observer.run_entry["_id"]}, {"values": 1}))
    emit({"points": sent, "storedPoints": stored, "seconds": elapsed, "pointsPerSecond": sent / elapsed})


if __name__ == "__main__":
    main()
