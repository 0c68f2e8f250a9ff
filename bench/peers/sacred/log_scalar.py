"""logScalar peer: `_run.log_scalar` calls per second inside a real Sacred run.

Run as `python log_scalar.py -F DIR with calls=N`. The loop has the shape of
the ritual side (bench/peers/ritual/log-scalar.ts): one metric, a changing
value, automatic steps, timed around the loop only.
"""
import time

from result import emit
from sacred import Experiment

ex = Experiment("log_scalar")


@ex.config
def config():
    calls = 1000000


@ex.automain
def main(_run, calls):
    log_scalar = _run.log_scalar
    start = time.perf_counter_ns()
    for i in range(calls):
        log_scalar("loss", i * 0.001)
    elapsed_ns = time.perf_counter_ns() - start
    emit({"calls": calls, "seconds": elapsed_ns / 1e9, "callsPerSecond": calls / (elapsed_ns / 1e9)})
