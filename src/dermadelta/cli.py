"""The ``dermadelta`` command.

Each family of subcommands lives in a module of :mod:`dermadelta.commands` with a
``register(subparsers)`` function; handlers import their libraries lazily so that
``dermadelta plan`` does not pay for loading the imaging models.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from dermadelta.errors import DermadeltaError

COMMAND_MODULES = (
    "dermadelta.commands.imaging",
    "dermadelta.commands.protocol",
    "dermadelta.commands.outcomes",
    "dermadelta.commands.clinic",
    "dermadelta.commands.batch",
)

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dermadelta",
        description="Plan microneedling treatments and measure their real results from photos.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def mute_native_stderr() -> None:
    """Keep stderr for dermadelta's own messages.

    MediaPipe's C++ core logs from its own threads straight to file descriptor 2,
    and nothing reachable from Python turns that off. Python's ``sys.stderr`` moves
    to a copy of the descriptor, and descriptor 2 is pointed at /dev/null.
    ``DERMADELTA_NATIVE_LOGS=1`` keeps the native logs, for debugging.
    """
    if os.environ.get("DERMADELTA_NATIVE_LOGS") == "1":
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError):
        return
    sys.stderr = os.fdopen(saved, "w", buffering=1, encoding="utf-8", errors="replace")
    os.dup2(devnull, 2)
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if argv is None:  # a real command line, not a call from Python code or tests
        mute_native_stderr()
    try:
        status: int = args.handler(args)
        sys.stdout.flush()
    except DermadeltaError as error:
        print(f"dermadelta: error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (``dermadelta ... | head``): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return status


if __name__ == "__main__":
    sys.exit(main())
