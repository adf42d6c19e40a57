"""HTTPS against a real TLS server on loopback: which CAs the client trusts.

A throwaway CA and a server certificate for 127.0.0.1 are made with the openssl CLI;
the sandbox serves HTTPS with them.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mrtimer.api import ApiClient, ConnectError
from mrtimer.api._tls import TrustSource, ssl_context, trust_source
from mrtimer.sandbox import SandboxServer

KEY = "tls-key-1"


@dataclass
class Pki:
    ca: Path  # PEM
    ca_dir: Path  # hashed directory holding only the CA
    empty_dir: Path  # hashed directory with another CA: ours is not trusted
    cert: Path
    key: Path


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_ca(d: Path, name: str) -> None:
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
             "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days", "2",
             "-subj", f"/CN={name}", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl CLI is not installed (apt-get install openssl)")
    d = tmp_path_factory.mktemp("pki")
    _make_ca(d, "test-ca")
    _make_ca(d, "other-ca")
    _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=d)
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                               "extendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "test-ca.pem", "-CAkey", "test-ca.key",
             "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf", cwd=d)
    dirs = {}
    for name, ca in (("trusted", "test-ca.pem"), ("other", "other-ca.pem")):
        dirs[name] = d / name
        dirs[name].mkdir()
        shutil.copy(d / ca, dirs[name] / ca)
        _openssl("rehash", str(dirs[name]), cwd=d)
    return Pki(d / "test-ca.pem", dirs["trusted"], dirs["other"], d / "server.pem",
               d / "server.key")


@pytest.fixture
def https(pki: Pki) -> Iterator[SandboxServer]:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki.cert, pki.key)
    server = SandboxServer(port=0, key=KEY, tls=ctx).start()
    server.seed_demo(KEY)
    yield server
    server.stop()


def _list(server: SandboxServer) -> int:
    client = ApiClient(server.base_url, lambda: KEY)
    try:
        return len(client.list_week())
    finally:
        client.close()


def test_https_trusts_the_ca_directory_in_ssl_cert_dir(
        https: SandboxServer, pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    assert https.base_url.startswith("https://127.0.0.1:")
    monkeypatch.setenv("SSL_CERT_DIR", str(pki.ca_dir))
    assert _list(https) >= 0
    assert https.request_count() == 1


def test_https_trusts_the_bundle_in_ssl_cert_file(
        https: SandboxServer, pki: Pki, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca))
    monkeypatch.setenv("SSL_CERT_DIR", str(pki.empty_dir))  # the file wins
    _list(https)
    assert https.request_count() == 1


@pytest.mark.parametrize("trusted", ["other CA", "system CAs"])
def test_an_untrusted_server_gets_nothing(https: SandboxServer, pki: Pki, trusted: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    if trusted == "other CA":
        monkeypatch.setenv("SSL_CERT_DIR", str(pki.empty_dir))
    with pytest.raises(ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        _list(https)
    assert https.request_count() == 0  # the request (and the key) never left


def test_an_unreadable_ca_file_is_a_clear_error(
        https: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(ConnectError, match=r"cannot load the trusted CAs from file .*"
                                           r"missing\.pem \(SSL_CERT_FILE\)"):
        _list(https)
    assert https.request_count() == 0


def test_trust_source_order(tmp_path: Path) -> None:
    hashed, plain, missing = tmp_path / "hashed", tmp_path / "plain", tmp_path / "missing"
    hashed.mkdir()
    plain.mkdir()
    (hashed / "9d66eef0.0").write_text("")
    (plain / "README").write_text("")
    dirs = [str(missing), str(plain), str(hashed)]
    assert trust_source({"SSL_CERT_FILE": "/x.pem", "SSL_CERT_DIR": "/d"}, "linux", dirs) \
        == TrustSource("file", "/x.pem", "SSL_CERT_FILE")
    assert trust_source({"SSL_CERT_DIR": "/d"}, "linux", dirs).kind == "dir"
    got = trust_source({}, "linux", dirs)
    assert (got.kind, got.path) == ("dir", str(hashed.resolve()))
    for platform in ("win32", "darwin"):
        assert trust_source({}, platform, dirs).kind == "certifi"
    assert trust_source({}, "linux", [str(plain), str(missing)]).kind == "certifi"


def test_contexts_verify_hosts_and_certificates(pki: Pki) -> None:
    for source in (TrustSource("dir", str(pki.ca_dir), "t"), TrustSource("file", str(pki.ca), "t"),
                   trust_source({}, "win32")):
        ctx = ssl_context(source)
        assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
