"""Property-based requests against the running API from its own OpenAPI document (``make bench``).

Seeds the demo clinic into a fresh data folder, issues an API token for the demo
practitioner, runs the web server and a worker as ``make run`` does, and lets
schemathesis generate requests for every operation (reads and changes, valid and
invalid), checking that none gets a server error. The database is whatever
``DATABASE_URL`` selects.

Run: ``python -m tools.api_fuzz --json out.json [--examples 30]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

CHECKS = "not_a_server_error"


def fuzz(*, examples: int, seed: int) -> dict[str, object]:
    from dermadelta.clinic.running import demo_in, free_port, web_and_worker

    with tempfile.TemporaryDirectory(prefix="dermadelta-fuzz-") as folder:
        data_dir = Path(folder)
        demo = demo_in(data_dir, photos=2)
        from django.contrib.auth.models import User

        from dermadelta.clinic.api import tokens

        secret = tokens.issue(User.objects.get(username=demo.logins["practitioner"][0]), "api robustness").secret
        report = data_dir / "schemathesis.xml"
        (data_dir / "logs").mkdir()
        with web_and_worker("127.0.0.1", free_port(), log_dir=data_dir / "logs") as running:
            command = [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                f"{running.url}/api/v1/openapi.json",
                "--header",
                f"Authorization: Bearer {secret}",
                "--checks",
                CHECKS,
                "--max-examples",
                str(examples),
                "--seed",
                str(seed),
                "--request-timeout",
                "60",
                "--report",
                "junit",
                "--report-junit-path",
                str(report),
            ]
            finished = subprocess.run(command, capture_output=True, text=True)
        suite = ElementTree.parse(report).getroot()
        cases = suite.iter("testcase")
        failed = [
            case.get("name", "") for case in cases if case.find("failure") is not None or case.find("error") is not None
        ]
        totals = suite if suite.tag == "testsuite" else next(suite.iter("testsuite"))
    return {
        "checks": CHECKS,
        "examples_per_operation": examples,
        "seed": seed,
        "operations": int(totals.get("tests", 0)),
        "failed_operations": failed,
        "exit_status": finished.returncode,
        "summary": finished.stdout.strip().splitlines()[-1] if finished.stdout.strip() else "",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.api_fuzz", description=__doc__)
    parser.add_argument("--json", type=Path, required=True, help="write the figures here")
    parser.add_argument("--examples", type=int, default=30, help="generated requests per operation (default 30)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    figures = fuzz(examples=args.examples, seed=args.seed)
    args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
