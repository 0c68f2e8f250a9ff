"""The Sacred side of the conformance tests: a small experiment equivalent to
the one test/conformance/sacred-structure.test.ts writes with ritual.

    RUNS_DIR=... ARTIFACT_FILE=... python sacred_experiment.py [with lr=...] [-c COMMENT]

Paths come from the environment because automain parses sys.argv itself.
"""
import os

from sacred import Experiment
from sacred.observers import FileStorageObserver

runs_dir, artifact_file = os.environ["RUNS_DIR"], os.environ["ARTIFACT_FILE"]
ex = Experiment("mnist", save_git_info=False)
ex.observers.append(FileStorageObserver(runs_dir))


@ex.config
def config():
    lr = 0.01
    epochs = 3
    model = {"hidden": 128}


@ex.automain
def main(_run, lr, epochs):
    print("training")
    for step in range(3):
        _run.log_scalar("loss", 1.0 / (step + 1), step)
        _run.log_scalar("acc", 0.5 + step / 10, step)
    _run.info["note"] = "hi"
    _run.add_artifact(artifact_file, "model.json")
    return 0.8
