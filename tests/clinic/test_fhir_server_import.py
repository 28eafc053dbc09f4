"""The seeded demo's FHIR exports pass an independent validator and import into a FHIR server, twice.

The validator and the server are Medplum's (``@medplum/core``, ``@medplum/fhir-router`` from
the npm registry), run by Node.js on the exported file (``tests/fhir_validate.mjs``): another
implementation than the Python models that built the bundle.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from dermadelta.clinic.records import actions, demo
from dermadelta.clinic.records.choices import ConsentKind
from dermadelta.clinic.records.fhir_export import patient_bundle

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "fhir_validate.mjs"
ADDRESS = "https://clinic.example"


def medplum(bundles: list[dict[str, Any]], tmp_path: Path, *args: str) -> dict[str, Any]:
    """The validator's report on ``bundles`` (it exits 1 when it finds an error; the report says which)."""
    node = shutil.which("node")
    assert node, "Node.js is needed for the FHIR validator (make install)"
    paths = []
    for number, bundle in enumerate(bundles):
        path = tmp_path / f"bundle-{number}-{bundle['type']}.json"
        path.write_text(json.dumps(bundle), encoding="utf-8")
        paths.append(str(path))
    done = subprocess.run(
        [node, str(SCRIPT), *paths, *args], cwd=ROOT, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode in (0, 1), done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


@pytest.fixture
def seeded(transactional_db: Any, settings: Any, tmp_path: Path) -> demo.DemoClinic:
    settings.DATA_DIR = tmp_path / "data"
    return demo.seed_demo(data_dir=settings.DATA_DIR, photos=2)


def test_the_demo_exports_import_into_a_fhir_server_and_pass_its_validator(seeded, tmp_path):
    patient = seeded.patient
    now = patient.comparisons.get().finished_at
    transaction = patient_bundle(patient, now=now, base_url=ADDRESS)
    collection = patient_bundle(patient, now=now, base_url=ADDRESS, kind="collection", photos="url")

    for bundle in (transaction, collection):
        Bundle.model_validate(bundle)
        for entry in bundle["entry"]:
            get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
        report = medplum([bundle], tmp_path)
        assert report["errors"] == [], report["errors"]
        assert report["resources"] == len(bundle["entry"]) > 10

    report = medplum([transaction, transaction], tmp_path, "--load")
    assert report["errors"] == [], report["errors"]
    first, second = report["server"]["imports"]
    sent = Counter(e["resource"]["resourceType"] for e in transaction["entry"])
    # The demo's course: its consultation, plan, four charted sessions, two photos and one comparison,
    # whose Observations are one per zone and measure it measured.
    assert {kind: n for kind, n in sent.items() if kind != "Observation"} == {
        "Patient": 1,
        "CodeSystem": 1,
        "Consent": 3,
        "QuestionnaireResponse": 1,
        "CarePlan": 1,
        "Procedure": 4,
        "DocumentReference": 2,
    }
    assert sent["Observation"] > 0
    assert first["ok"] and second["ok"]
    assert first["counts"] == dict(sent)
    assert first["dangling"] == []  # every urn:uuid reference became the id the server gave
    assert set(first["statuses"]) == {"201"}
    # Imported again, nothing is created twice: the Patient and the CodeSystem are found by their
    # identifier and canonical address, every other record is updated in place.
    assert second["counts"] == first["counts"] and second["dangling"] == []
    assert set(second["statuses"]) == {"200"}


def test_the_demo_consents_were_given_before_its_first_session(seeded):
    patient = seeded.patient
    bundle = patient_bundle(patient, now=patient.created_at, base_url=ADDRESS)
    resources = [e["resource"] for e in bundle["entry"]]
    consents = [r for r in resources if r["resourceType"] == "Consent"]
    procedures = [r for r in resources if r["resourceType"] == "Procedure"]
    [answers] = [r for r in resources if r["resourceType"] == "QuestionnaireResponse"]

    assert len(consents) == 3 and procedures
    first_session = min(p["performedDateTime"] for p in procedures)
    assert all(c["dateTime"][:10] <= first_session for c in consents)
    assert answers["authored"] == patient.consultations.get().on.isoformat() < first_session


def test_a_later_export_withdraws_on_the_server_what_the_patient_withdrew(seeded, tmp_path):
    patient = seeded.patient
    now = patient.comparisons.get().finished_at
    before = patient_bundle(patient, now=now, base_url=ADDRESS)
    marketing = patient.consents.get(kind=ConsentKind.MARKETING)
    actions.withdraw_consent(marketing, by=None)
    after = patient_bundle(patient, now=now, base_url=ADDRESS)

    report = medplum([before, after], tmp_path, "--load")

    assert report["errors"] == [], report["errors"]
    first, second = report["server"]["imports"]
    assert first["counts"]["DocumentReference"] == 2 and first["consents"] == ["active"] * 3
    # The photos are gone from the server, the consent is withdrawn there, the measurements stay.
    assert second["counts"]["DocumentReference"] == 0
    assert second["consents"] == ["active", "active", "inactive"]
    assert second["counts"]["Observation"] == first["counts"]["Observation"] > 0
    assert second["dangling"] == []
