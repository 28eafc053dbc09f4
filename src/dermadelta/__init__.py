"""dermadelta: plan microneedling treatments and measure their real results from photos.

``dermadelta.analyze(path)`` and ``dermadelta.compare(before, after)`` are the
library entry points of the imaging pipeline; they are imported lazily so that the
protocol and outcomes libraries load without the imaging models.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "analyze", "compare"]


def __getattr__(name: str) -> Any:
    if name in {"analyze", "compare"}:
        from dermadelta.imaging import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'dermadelta' has no attribute {name!r}")
