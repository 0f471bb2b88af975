"""Object-storage fixtures: an in-memory store, and a real S3 API (moto's server) on 127.0.0.1.

moto's in-process ``mock_aws`` does not work with s3fs (aiobotocore), so the
S3 tests talk HTTP to ``ThreadedMotoServer``, started once per session.
"""

from __future__ import annotations

import uuid

import pytest

from augcli.storage import mirror


@pytest.fixture(autouse=True)
def _fresh_names():
    yield
    mirror.forget_mirrors()


@pytest.fixture
def memfs():
    """fsspec's memory store, emptied after the test (each test uses its own prefix anyway)."""
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    prefix = f"/t-{uuid.uuid4().hex[:8]}"
    yield fs, prefix
    if fs.exists(prefix):
        fs.rm(prefix, recursive=True)


@pytest.fixture(scope="session")
def s3_endpoint():
    pytest.importorskip("s3fs")
    server_module = pytest.importorskip("moto.server")
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_env(s3_endpoint, monkeypatch, tmp_path):
    """Credentials and endpoint the way a user sets them: environment variables only."""
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": s3_endpoint,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import s3fs

    s3fs.S3FileSystem.clear_instance_cache()
    yield env
    s3fs.S3FileSystem.clear_instance_cache()


@pytest.fixture
def bucket(s3_env):
    """A new, empty bucket; returns (s3fs file system, bucket name)."""
    import s3fs

    fs = s3fs.S3FileSystem()
    name = f"b-{uuid.uuid4().hex[:12]}"
    fs.mkdir(name)
    return fs, name
