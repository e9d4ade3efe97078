"""Signatures made in Python for the shapes ssh-keygen will not produce on request: FIDO keys without a
token, SHA-1 RSA signatures, other hash names and versions, non-canonical encodings. Each is checked
against ssh-keygen in the differential test, never assumed."""

from __future__ import annotations

import base64
import hashlib
import struct

from baosong.sshsig import MAGIC, armor, dearmor, mpint_bytes, sshstr
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, utils


def u32(n: int) -> bytes:
    return struct.pack(">I", n)


def fields(armored: bytes) -> list[bytes]:
    """The SSHSIG fields after magic and version: key, namespace, reserved, hashalg, signature."""
    blob = dearmor(armored)
    out, pos = [], 10
    while pos < len(blob):
        (n,) = struct.unpack(">I", blob[pos:pos + 4])
        out.append(blob[pos + 4:pos + 4 + n])
        pos += 4 + n
    return out


def assemble(key: bytes, namespace: bytes, sig: bytes, *, hashalg: bytes = b"sha512", reserved: bytes = b"",
             version: int = 1, trailer: bytes = b"") -> str:
    return armor(MAGIC + u32(version) + sshstr(key) + sshstr(namespace) + sshstr(reserved) + sshstr(hashalg)
                 + sshstr(sig) + trailer)


def signed_data(data: bytes, namespace: bytes, hashalg: bytes = b"sha512") -> bytes:
    digest = hashlib.new(hashalg.decode(), data).digest()
    return MAGIC + sshstr(namespace) + sshstr(b"") + sshstr(hashalg) + sshstr(digest)


def ed25519_blob(priv: ed25519.Ed25519PrivateKey, name: bytes = b"ssh-ed25519") -> bytes:
    raw = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sshstr(name) + sshstr(raw)


def public_line(blob: bytes) -> str:
    name = blob[4:4 + struct.unpack(">I", blob[:4])[0]].decode()
    return f"{name} {base64.b64encode(blob).decode()}"


def sk_ed25519(priv: ed25519.Ed25519PrivateKey, data: bytes, namespace: bytes, app: bytes = b"ssh:",
               flags: int = 1, counter: int = 7) -> tuple[bytes, str]:
    """(key blob, armoured signature) of a FIDO sk-ssh-ed25519 key, the token played in Python."""
    raw = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    name = b"sk-ssh-ed25519@openssh.com"
    blob = sshstr(name) + sshstr(raw) + sshstr(app)
    tail = bytes([flags]) + u32(counter)
    msg = hashlib.sha256(app).digest() + tail + hashlib.sha256(signed_data(data, namespace)).digest()
    sig = sshstr(name) + sshstr(priv.sign(msg)) + tail
    return blob, assemble(blob, namespace, sig)


def sk_ecdsa(priv: ec.EllipticCurvePrivateKey, data: bytes, namespace: bytes, app: bytes = b"ssh:",
             flags: int = 1, counter: int = 9) -> tuple[bytes, str]:
    point = priv.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    name = b"sk-ecdsa-sha2-nistp256@openssh.com"
    blob = sshstr(name) + sshstr(b"nistp256") + sshstr(point) + sshstr(app)
    tail = bytes([flags]) + u32(counter)
    msg = hashlib.sha256(app).digest() + tail + hashlib.sha256(signed_data(data, namespace)).digest()
    r, s = utils.decode_dss_signature(priv.sign(msg, ec.ECDSA(hashes.SHA256())))
    sig = sshstr(name) + sshstr(mpint_bytes(r) + mpint_bytes(s)) + tail
    return blob, assemble(blob, namespace, sig)


def rsa_sig(priv, data: bytes, namespace: bytes, sigtype: bytes, *, hashalg: bytes = b"sha512",
            key_name: bytes = b"ssh-rsa") -> str:
    """An RSA SSHSIG with a chosen signature algorithm (ssh-rsa = SHA-1, which ssh-keygen refuses)."""
    nums = priv.public_key().public_numbers()
    blob = sshstr(key_name) + mpint_bytes(nums.e) + mpint_bytes(nums.n)
    h = {b"ssh-rsa": hashes.SHA1(), b"rsa-sha2-256": hashes.SHA256(), b"rsa-sha2-512": hashes.SHA512()}[sigtype]
    raw = priv.sign(signed_data(data, namespace, hashalg), padding.PKCS1v15(), h)
    return assemble(blob, namespace, sshstr(sigtype) + sshstr(raw), hashalg=hashalg)


def ed25519_sig(priv: ed25519.Ed25519PrivateKey, data: bytes, namespace: bytes, *, hashalg: bytes = b"sha512",
                key_name: bytes = b"ssh-ed25519", **kw) -> str:
    raw = priv.sign(signed_data(data, namespace, hashalg))
    return assemble(ed25519_blob(priv, key_name), namespace, sshstr(b"ssh-ed25519") + sshstr(raw),
                    hashalg=hashalg, **kw)


def malleate_ed25519(armored: bytes) -> str | None:
    """The same Ed25519 signature with S + L (non-canonical), if that still fits OpenSSH's 253 bits."""
    key, ns, _, hashalg, sig = fields(armored)
    inner = sig[4 + 11 + 4:]
    s = int.from_bytes(inner[32:], "little") + 2**252 + 27742317777372353535851937790883648493
    if s >> 253:
        return None
    new = inner[:32] + s.to_bytes(32, "little")
    return assemble(key, ns, sshstr(b"ssh-ed25519") + sshstr(new), hashalg=hashalg)


def nonminimal_ecdsa(armored: bytes) -> str:
    """The same ECDSA signature with a superfluous leading zero byte in r (OpenSSH trims it)."""
    key, ns, _, hashalg, sig = fields(armored)
    n = struct.unpack(">I", sig[:4])[0]
    name, rest = sig[4:4 + n], sig[8 + n:]
    rn = struct.unpack(">I", rest[:4])[0]
    r, s_part = rest[4:4 + rn], rest[4 + rn:]
    inner = sshstr(b"\0" + r) + s_part
    return assemble(key, ns, sshstr(name) + sshstr(inner), hashalg=hashalg)
