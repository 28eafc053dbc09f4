"""Research analyses on the clinic's job engine: one photo file, no patient record.

``dermadelta batch`` enqueues :func:`analyse_file` once per photo; whichever
worker runs it (the database-backed worker, or RQ workers on other machines that
see the same files) returns the analysis as data and writes nothing to the
clinic's tables.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from django_tasks import task

from dermadelta.errors import InputError


@task()
def analyse_file(path: str) -> dict[str, Any]:
    """Analyse the photo at ``path``: ``{"sha256", "analysis", "refused"}``.

    ``analysis`` is ``Analysis.to_dict()`` (``None`` when the file is not a usable
    image); ``refused`` is why the photo was not measured, empty when it was. A bad
    photo is an answer, not an error: only a fault of the code raises, and the
    worker logs its traceback.
    """
    from dermadelta.imaging.pipeline import analyze

    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return {"sha256": "", "analysis": None, "refused": f"cannot be read ({error.strerror or error})"}
    sha256 = hashlib.sha256(data).hexdigest()
    try:
        # Bytes, not a decoded photo: the pipeline decodes a large phone photo at the size it needs.
        analysis = analyze(data, name=path)
    except InputError as error:
        # The message starts with the name given to decode; the batch names the photo itself.
        return {"sha256": sha256, "analysis": None, "refused": str(error).removeprefix(f"{path}: ")}
    refused = "" if analysis.measured else "; ".join(analysis.quality.reasons) or "rejected by the quality gate"
    return {"sha256": sha256, "analysis": analysis.to_dict(), "refused": refused}
