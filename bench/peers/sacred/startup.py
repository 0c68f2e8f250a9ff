"""Start-up peer: a Sacred experiment whose main returns at once.

Sacred's defaults (host info, git, sources, imported dependencies, fd output
capture) plus its own FileStorageObserver on the folder in RITUAL_BENCH_RUNS,
exactly what a user gets from `@ex.automain`. The ritual side is
bench/peers/ritual/startup.ts.
"""
import os

from sacred import Experiment
from sacred.observers import FileStorageObserver

ex = Experiment("startup")
ex.observers.append(FileStorageObserver(os.environ["RITUAL_BENCH_RUNS"]))


@ex.automain
def main():
    return 0
