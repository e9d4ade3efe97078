"""SSH signatures (SSHSIG, OpenSSH's PROTOCOL.sshsig) read, verified and made in-process.

The verdicts must be those of `ssh-keygen -Y verify` / `-Y find-principals` (OpenSSH 9.2, the version
the registry's tests run as the oracle), so this follows its code rather than the letter of the
protocol documents where the two differ:

- armour: the header line, then everything up to the first "\\n-----END SSH SIGNATURE-----" is
  base64 as BIND's `b64_pton` reads it (whitespace anywhere, padding required, unused bits zero);
- the SSHSIG `reserved` field is not interpreted; versions up to 1 are accepted; the hash is sha256
  or sha512; RSA signatures must be rsa-sha2-256/512 (SHA-1 `ssh-rsa` is refused).

Three modules: `sshkey.py` (the wire format, keys and certificates, raw signatures), this one (the
armour, the SSHSIG blob, signing) and `sshverify.py` (the allowed-signers and revoked-keys texts,
and `Check`: ssh-keygen's verdicts). `Invalid` and `Unsupported` (from `sshkey`) are what the functions
here raise; callers catch them as `sshsig.Invalid` / `sshsig.Unsupported`.

The signing side (`SshKey`, `sign_with`, `load_signing_key`) writes what `ssh-keygen -Y sign` writes;
for Ed25519 the bytes are identical.
"""

from __future__ import annotations

import base64
import hashlib
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from baosong.sshkey import (
    Invalid,
    PublicKey,
    Reader,
    Unsupported,
    b64_pton,
    hash_algorithm,
    mpint_bytes,
    parse_key,
    sshstr,
    verify_raw,
)

MAGIC = b"SSHSIG"
SIG_VERSION = 1
BEGIN = b"-----BEGIN SSH SIGNATURE-----\n"
END = b"\n-----END SSH SIGNATURE-----"
HASHALGS = {b"sha256": hashlib.sha256, b"sha512": hashlib.sha512}
RSA_SIGN_ALLOWED = (b"rsa-sha2-512", b"rsa-sha2-256")


# ---------------------------------------------------------------------------------------------
# Armour


def dearmor(armored: bytes) -> bytes:
    """sshsig_dearmor: the SSHSIG blob of an armoured signature."""
    if not armored.startswith(BEGIN):
        raise Invalid("missing header")
    end = armored.find(END, len(BEGIN))
    if end == -1:
        raise Invalid("missing footer")
    text = armored[len(BEGIN):end]
    z = text.find(b"\0")
    if z != -1:
        if z != len(text) - 1:
            raise Invalid("NUL in armour")
        text = text[:-1]
    return b64_pton(text)


def armor(blob: bytes) -> str:
    """sshsig_armor: base64 in lines of 70 between the BEGIN and END lines."""
    text = base64.b64encode(blob).decode()
    body = "\n".join(text[i:i + 70] for i in range(0, len(text), 70))
    return f"-----BEGIN SSH SIGNATURE-----\n{body}\n-----END SSH SIGNATURE-----\n"


# ---------------------------------------------------------------------------------------------
# SSHSIG


@dataclass(slots=True)
class Signature:
    key: PublicKey
    namespace: bytes
    hashalg: bytes
    signature: bytes


def _preamble(r: Reader) -> None:
    if r.data[r.pos:r.pos + len(MAGIC)] != MAGIC:
        raise Invalid("not an SSHSIG")
    r.pos += len(MAGIC)
    if r.u32() > SIG_VERSION:
        raise Invalid("SSHSIG version")


def signature_pubkey(blob: bytes) -> PublicKey:
    """sshsig_get_pubkey (find-principals): the preamble and the key, nothing after it."""
    r = Reader(blob)
    _preamble(r)
    return parse_key(r.string())


_KEYS: dict[bytes, PublicKey] = {}  # signing key blob -> parsed key (its `cryptography` key made once)
_KEYS_MAX = 4096


def _signing_key_of(blob: bytes) -> PublicKey:
    """parse_key for a signature's key, remembered per blob: a registry has few keys and many
    signatures. Only keys that parsed are kept (a failure is raised again each time); a certificate's
    CA signature depends on the blob alone, its validity window is judged per verification."""
    key = _KEYS.get(blob)
    if key is None:
        key = parse_key(blob)
        if len(_KEYS) >= _KEYS_MAX:
            _KEYS.clear()
        _KEYS[blob] = key
    return key


def verify_sshsig(blob: bytes, message: bytes, namespace: bytes) -> PublicKey:
    """sshsig_verify_fd: the signing key if `blob` is a valid signature over message in namespace."""
    # One pass over the fields; the checks keep OpenSSH's order (what fails before the key is
    # parsed is Invalid whatever the key; a key type not verified here is Unsupported before the
    # namespace, trailing data and signature are looked at).
    r = Reader(blob)
    _preamble(r)
    keyblob = r.string()
    got_namespace = r.string()
    r.string()  # reserved: not interpreted by OpenSSH
    sig_hashalg = r.cstring()
    sig = r.string()
    if sig_hashalg not in HASHALGS:
        raise Invalid("hash algorithm")
    hashalg = sig_hashalg
    digest = HASHALGS[hashalg](message).digest()
    key = _signing_key_of(keyblob)
    z = got_namespace.find(b"\0")  # cstring(): a NUL only as the last byte
    if z != -1:
        if z < len(got_namespace) - 1:
            raise Invalid("NUL in string")
        got_namespace = got_namespace[:-1]
    if r.left():
        raise Invalid("trailing data")
    if got_namespace != namespace:
        raise Invalid("namespace or hash")
    toverify = MAGIC + sshstr(namespace) + sshstr(b"") + sshstr(hashalg) + sshstr(digest)
    if not verify_raw(key, sig, toverify, RSA_SIGN_ALLOWED if key.family == "rsa" else None):
        raise Invalid("signature")
    return key

# ---------------------------------------------------------------------------------------------
# Signing


def _public_blob(private_key) -> bytes:
    from cryptography.hazmat.primitives import serialization

    line = private_key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return base64.b64decode(line.split()[1])


def sign_with(private_key, data: bytes, namespace: bytes, public_blob: bytes | None = None,
              hashalg: bytes = b"sha512") -> str:
    """The armoured SSHSIG signature of data, as `ssh-keygen -Y sign -n namespace` writes it.

    private_key: a `cryptography` Ed25519, ECDSA (nistp256/384/521) or RSA private key; RSA signs
    with rsa-sha2-512 like ssh-keygen."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

    blob = public_blob or _public_blob(private_key)
    tail = sshstr(namespace) + sshstr(b"") + sshstr(hashalg)
    tosign = MAGIC + tail + sshstr(HASHALGS[hashalg](data).digest())
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        sig = sshstr(b"ssh-ed25519") + sshstr(private_key.sign(tosign))
    elif isinstance(private_key, ec.EllipticCurvePrivateKey):
        key = parse_key(blob)
        curve = key.ec_curve()
        r, s = utils.decode_dss_signature(private_key.sign(tosign, ec.ECDSA(hash_algorithm(curve.hash))))
        sig = sshstr(curve.ssh_name) + sshstr(mpint_bytes(r) + mpint_bytes(s))
    elif isinstance(private_key, rsa.RSAPrivateKey):
        sig = sshstr(b"rsa-sha2-512") + sshstr(private_key.sign(tosign, padding.PKCS1v15(), hashes.SHA512()))
    else:
        raise Unsupported("私钥类型")
    return armor(MAGIC + struct.pack(">I", SIG_VERSION) + sshstr(blob) + tail + sshstr(sig))


def load_signing_key(key_path: Path):
    """The private key at key_path if it can sign in-process exactly as `ssh-keygen -Y sign -f` would;
    None otherwise (passphrase, FIDO key, certificate beside it, permissions ssh-keygen refuses)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    try:
        st = os.stat(key_path)
        if st.st_uid == os.getuid() and st.st_mode & 0o077:
            return None  # ssh-keygen refuses an unprotected private key: let it say so
        key = serialization.load_ssh_private_key(Path(key_path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError):
        return None
    except Exception:  # noqa: BLE001 - UnsupportedAlgorithm and the like: ssh-keygen decides
        return None
    if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        return None
    pub = Path(f"{key_path}.pub")
    if pub.exists():  # ssh-keygen signs with the public key it finds there (maybe a certificate)
        try:
            parts = pub.read_text().split()
            if len(parts) < 2 or base64.b64decode(parts[1]) != _public_blob(key):
                return None
        except (OSError, ValueError, UnicodeDecodeError):
            return None
    return key


class SshKey:
    """A throwaway ed25519 key that signs like `ssh-keygen -Y sign` (the demo's officers and registry)."""

    def __init__(self, comment: str) -> None:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        self._key = Ed25519PrivateKey.generate()
        raw = self._key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.blob = sshstr(b"ssh-ed25519") + sshstr(raw)
        self.comment = comment
        self.public = f"ssh-ed25519 {base64.b64encode(self.blob).decode()} {comment}"
        self.private_pem = self._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                                   serialization.NoEncryption())

    def sign(self, data: bytes, namespace: bytes = b"git") -> str:
        """The armoured SSHSIG signature of data (hash sha512, as ssh-keygen uses)."""
        return sign_with(self._key, data, namespace, self.blob)

    def save(self, directory: Path, name: str) -> Path:
        path = directory / name
        path.write_bytes(self.private_pem)
        path.chmod(0o600)
        path.with_suffix(".pub").write_text(self.public + "\n")
        return path
