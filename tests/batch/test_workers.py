"""How ``dermadelta batch`` starts its workers: each with its share of the cores' threads."""

from __future__ import annotations

import os
import subprocess
import sys

from dermadelta.clinic.research_queue import THREAD_VARIABLES, worker_env

_OPENCV_THREADS = "import cv2; print(cv2.getNumThreads())"


def _opencv_threads(env: dict[str, str]) -> int:
    done = subprocess.run([sys.executable, "-c", _OPENCV_THREADS], env=env, capture_output=True, text=True, check=True)
    return int(done.stdout.strip())


def test_two_workers_on_two_cores_each_run_one_thread():
    env = worker_env(2, os.environ, cores=2)

    assert all(env[name] == "1" for name in THREAD_VARIABLES)
    assert _opencv_threads(env) == 1


def test_workers_share_the_cores_between_them():
    assert {worker_env(2, {}, cores=16)[name] for name in THREAD_VARIABLES} == {"8"}
    assert {worker_env(3, {}, cores=2)[name] for name in THREAD_VARIABLES} == {"1"}


def test_one_worker_keeps_every_core_and_a_value_already_set_is_kept():
    plain = {key: value for key, value in os.environ.items() if key not in THREAD_VARIABLES}

    alone = worker_env(1, plain, cores=2)
    chosen = worker_env(2, {**plain, "OMP_NUM_THREADS": "3"}, cores=2)

    assert alone == plain
    assert chosen["OMP_NUM_THREADS"] == "3" and chosen["OPENBLAS_NUM_THREADS"] == "1"
