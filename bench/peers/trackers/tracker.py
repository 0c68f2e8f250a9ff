"""The Python trackers side of the `peers` benchmark: Sacred 0.8.7, MLflow
(file store and sqlite) and Weights & Biases offline, each doing the same
work as the ritual subject (bench/peers/ritual/tracker.ts).

    python tracker.py TRACKER MODE DIR [N]

TRACKER: sacred | mlflow-file | mlflow-sqlite | wandb
MODE:
  startup   import the tracker, start a run, 5 params, 1 metric, end
  calls     one metric logged call by call for about N seconds (timed loop only)
  batch     N points through the tracker's batch call (timed), then end;
            prints the wall clock just before the end, so the suite can time
            the end of run (finish) up to the process exit
Everything the tracker stores goes under DIR (measured for disk per point).
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sacred"))
from result import emit  # noqa: E402

PARAMS = {"lr": 0.001, "epochs": 3, "batch_size": 64, "hidden": 128, "seed": 1}
#: MLflow's log_batch takes at most 1000 metrics a call; W&B's batch is one dict of this many keys a step.
MLFLOW_BATCH = 1000
WANDB_KEYS = 10


def timed_calls(log, seconds):
    """Call log(i) in growing chunks until `seconds` passed: rates from 300/s to 10M/s, one clock read a chunk."""
    calls = 0
    chunk = 1
    start = time.perf_counter_ns()
    while True:
        for i in range(calls, calls + chunk):
            log(i)
        calls += chunk
        elapsed = (time.perf_counter_ns() - start) / 1e9
        if elapsed >= seconds:
            return calls, elapsed
        chunk = min(chunk * 2, 100000)


def finish_marker():
    """Wall clock (ms since epoch) just before the end of the run: the suite times from here to the process exit."""
    return time.time() * 1000


def run_sacred(mode, folder, n):
    from sacred import Experiment
    from sacred.observers import FileStorageObserver

    ex = Experiment("peers")
    ex.observers.append(FileStorageObserver(folder))
    ex.add_config(PARAMS)
    out = {}

    @ex.main
    def main(_run):
        if mode == "startup":
            _run.log_scalar("loss", 0.5, 0)
        elif mode == "calls":
            calls, seconds = timed_calls(lambda i: _run.log_scalar("loss", i * 0.001), n)
            out["callsPerSecond"] = calls / seconds
        else:
            # Sacred has no batch call: the points go in call by call (not timed), then the run ends.
            for i in range(int(n)):
                _run.log_scalar("loss", i * 0.001, i)
            out["finishFrom"] = finish_marker()

    ex.run(options={"--loglevel": "ERROR"})
    return out


def mlflow_setup(tracker, folder):
    if tracker == "mlflow-file":
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"  # 3.x refuses the file store without it
        uri = "file:" + os.path.join(folder, "mlruns")
    else:
        uri = "sqlite:///" + os.path.join(folder, "mlflow.db")
    import mlflow

    mlflow.set_tracking_uri(uri)
    return mlflow


def run_mlflow(tracker, mode, folder, n):
    mlflow = mlflow_setup(tracker, folder)
    out = {}
    # The sqlite store puts artifacts in ./mlartifacts: the suite runs us with DIR as the working folder.
    run = mlflow.start_run()
    mlflow.log_params(PARAMS)
    if mode == "startup":
        mlflow.log_metric("loss", 0.5, step=0)
    elif mode == "calls":
        calls, seconds = timed_calls(lambda i: mlflow.log_metric("loss", i * 0.001, step=i), n)
        out["callsPerSecond"] = calls / seconds
    else:
        from mlflow.entities import Metric
        from mlflow.tracking import MlflowClient

        client = MlflowClient()
        run_id = run.info.run_id
        now = int(time.time() * 1000)
        start = time.perf_counter_ns()
        for first in range(0, int(n), MLFLOW_BATCH):
            metrics = [Metric("loss", i * 0.001, now, i) for i in range(first, min(int(n), first + MLFLOW_BATCH))]
            client.log_batch(run_id, metrics=metrics)
        out["pointsPerSecond"] = n / ((time.perf_counter_ns() - start) / 1e9)
        out["finishFrom"] = finish_marker()
    mlflow.end_run()
    return out


def run_wandb(mode, folder, n):
    os.environ["WANDB_MODE"] = "offline"
    os.environ["WANDB_SILENT"] = "true"
    os.environ["WANDB_DIR"] = folder
    import wandb

    out = {}
    run = wandb.init(project="peers", config=PARAMS)
    if mode == "startup":
        run.log({"loss": 0.5})
    elif mode == "calls":
        calls, seconds = timed_calls(lambda i: run.log({"loss": i * 0.001}), n)
        out["callsPerSecond"] = calls / seconds
    else:
        steps = int(n) // WANDB_KEYS
        start = time.perf_counter_ns()
        for i in range(steps):
            run.log({"m%d" % k: i * 0.001 + k for k in range(WANDB_KEYS)})
        out["pointsPerSecond"] = steps * WANDB_KEYS / ((time.perf_counter_ns() - start) / 1e9)
        out["finishFrom"] = finish_marker()
    run.finish()
    return out


def main():
    tracker, mode, folder = sys.argv[1], sys.argv[2], sys.argv[3]
    n = float(sys.argv[4]) if len(sys.argv) > 4 else 0
    if tracker == "sacred":
        out = run_sacred(mode, folder, n)
    elif tracker.startswith("mlflow-"):
        out = run_mlflow(tracker, mode, folder, n)
    elif tracker == "wandb":
        out = run_wandb(mode, folder, n)
    else:
        raise SystemExit("unknown tracker %r: sacred, mlflow-file, mlflow-sqlite or wandb" % tracker)
    emit(out)


if __name__ == "__main__":
    main()
