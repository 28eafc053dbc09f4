"""A real S3-compatible server for the storage tests, and the clinic fixtures to drive it.

``moto_server`` (moto's HTTP S3 endpoint) runs on 127.0.0.1 on a free port, once per
test process; each test gets a bucket of its own, and Django's default storage is
configured from the environment exactly as an installation configures it.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from dermadelta.clinic.infrastructure import photo_storage
from dermadelta.clinic.running import free_port
from tests.clinic.conftest import *  # noqa: F403

REGION = "eu-west-2"
# Any key pair works against moto; real ones must never be needed by the tests.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "dermadelta-test-key", "AWS_SECRET_ACCESS_KEY": "dermadelta-test-secret"}
START_TIMEOUT_S = 30


@dataclass(frozen=True)
class Bucket:
    endpoint: str
    name: str
    client: Any  # boto3's S3 client, signed in with CREDENTIALS

    def keys(self) -> list[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)
        return sorted(item["Key"] for item in listed.get("Contents", []))

    def read(self, key: str) -> bytes:
        return bytes(self.client.get_object(Bucket=self.name, Key=key)["Body"].read())


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The address of a running moto S3 server, stopped at the end of the session."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, endpoint)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=15)


def _wait_until_up(server: subprocess.Popen[bytes], endpoint: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"moto_server exited while starting (status {server.returncode})")
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers, whatever it says
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"moto_server did not answer at {endpoint} within {START_TIMEOUT_S} s")


@pytest.fixture
def bucket(s3_endpoint: str) -> Bucket:
    """An empty bucket of this test's own."""
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name=REGION, **_boto_credentials())
    name = f"clinic-photos-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return Bucket(endpoint=s3_endpoint, name=name, client=client)


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }


@pytest.fixture
def s3_environment(bucket: Bucket, monkeypatch: pytest.MonkeyPatch) -> Bucket:
    """The variables an installation sets to keep its photos in ``bucket``."""
    for variable, value in {
        **CREDENTIALS,
        "DERMADELTA_S3_BUCKET": bucket.name,
        "DERMADELTA_S3_ENDPOINT_URL": bucket.endpoint,
        "DERMADELTA_S3_REGION": REGION,
        "DERMADELTA_S3_SSL": "0",
    }.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.delenv("DERMADELTA_S3_PREFIX", raising=False)
    return bucket


@pytest.fixture
def object_storage(private_media: Any, settings: Any, tmp_path: Any, s3_environment: Bucket) -> Bucket:
    """Django's default storage is the bucket, configured from the environment.

    Depends on the clinic's ``private_media`` so that it runs after it and wins.
    """
    settings.STORAGES = {**settings.STORAGES, "default": photo_storage(tmp_path)}
    return s3_environment
