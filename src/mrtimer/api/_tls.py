"""Which certificate authorities a request to the API trusts.

In order:

1. ``SSL_CERT_FILE`` (a PEM bundle) or ``SSL_CERT_DIR`` (a hashed directory) when set:
   the overrides OpenSSL, curl and Python honour;
2. on Linux and the BSDs, the system's hashed CA directory (``/etc/ssl/certs`` on
   Debian and Ubuntu): the CAs the distribution maintains, including any a company
   added for its proxy. OpenSSL reads a certificate from it when a chain needs one,
   where a bundle is parsed whole (certifi's ~150 CAs: about 1.3 MiB kept for as long
   as the tray runs);
3. certifi's bundle (Windows, macOS, a system without a hashed directory).

Certificate verification and host-name checking are on in every case.
"""

from __future__ import annotations

import os
import re
import ssl
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TrustSource", "ssl_context", "trust_source"]

# What OpenSSL looks up in a CA directory: <subject hash>.<n> (c_rehash / openssl rehash).
_HASHED = re.compile(r"^[0-9a-f]{8}\.[0-9]+$")

SYSTEM_CA_DIRS = (
    "/etc/ssl/certs",  # Debian, Ubuntu, Arch, openSUSE, Alpine
    "/etc/pki/ca-trust/extracted/pem/directory-hash",  # Fedora, RHEL
    "/etc/pki/tls/certs",
    "/usr/local/share/certs",  # FreeBSD
)


@dataclass(frozen=True)
class TrustSource:
    kind: str  # "file", "dir" or "certifi"
    path: str
    why: str  # for the log: where this choice came from

    def describe(self) -> str:
        return f"{self.kind} {self.path} ({self.why})"


def _is_hashed_dir(path: str) -> bool:
    try:
        with os.scandir(path) as entries:
            return any(_HASHED.match(e.name) for e in entries)
    except OSError:
        return False


def trust_source(environ: Mapping[str, str] | None = None, platform: str | None = None,
                 system_dirs: Sequence[str] | None = None) -> TrustSource:
    env = os.environ if environ is None else environ
    plat = sys.platform if platform is None else platform
    if env.get("SSL_CERT_FILE"):
        return TrustSource("file", env["SSL_CERT_FILE"], "SSL_CERT_FILE")
    if env.get("SSL_CERT_DIR"):
        return TrustSource("dir", env["SSL_CERT_DIR"], "SSL_CERT_DIR")
    if plat not in ("win32", "darwin"):
        dirs = list(SYSTEM_CA_DIRS if system_dirs is None else system_dirs)
        if system_dirs is None:
            default = ssl.get_default_verify_paths().capath
            if default:
                dirs.insert(0, default)
        for d in dirs:
            if _is_hashed_dir(d):
                return TrustSource("dir", str(Path(d).resolve()), "the system's CAs")
    import certifi

    return TrustSource("certifi", certifi.where(), "certifi's bundle")


def ssl_context(source: TrustSource | None = None) -> ssl.SSLContext:
    """A verifying client context for ``source`` (default: :func:`trust_source`)."""
    src = trust_source() if source is None else source
    if src.kind == "dir":
        return ssl.create_default_context(capath=src.path)
    return ssl.create_default_context(cafile=src.path)
