"""SSH signatures (SSHSIG, OpenSSH's PROTOCOL.sshsig) verified and made in-process.

The verdicts must be those of `ssh-keygen -Y verify` / `-Y find-principals` (OpenSSH 9.2, the version
the registry's tests run as the oracle), so this follows its code rather than the letter of the
protocol documents where the two differ:

- armour: the header line, then everything up to the first "\\n-----END SSH SIGNATURE-----" is
  base64 as BIND's `b64_pton` reads it (whitespace anywhere, padding required, unused bits zero);
- strings read as C strings refuse an inner NUL but accept one as the last byte ("git\\0" is "git");
  the SSHSIG `reserved` field is not interpreted; versions up to 1 are accepted; the hash is sha256
  or sha512; RSA signatures must be rsa-sha2-256/512 (SHA-1 `ssh-rsa` is refused);
- keys: the type names OpenSSH knows (also its aliases: `rsa-sha2-256` or `RSA` name an RSA key),
  integers with leading zero bytes, ECDSA points checked as `sshkey_ec_validate_public` does, RSA
  moduli of at least 1024 bits; two keys are the same key when their public parts are equal;
- Ed25519 as OpenSSH's reference code: S is reduced modulo L, only its top three bits are refused;
- certificates: the CA's signature is checked when the key is read (any algorithm, SHA-1 RSA
  included, as ssh-keygen does), then at use: user certificate, validity window (valid_before
  exclusive), the requested principal listed. ssh-keygen does not look at critical options for
  signatures (it refuses them for host certificates only), so neither does this module;
- allowed signers: the lines baosong writes (`principal [cert-authority,]namespaces="…"[,valid-after=
  "…Z"][,valid-before="…Z"] key`), each judged as ssh-keygen judges a line, first match wins;
  revoked keys: a key is revoked when it or its certificate's CA is listed; a line that does not
  parse makes every check against the list fail, as in ssh-keygen.

What this module cannot judge raises `Unsupported` (FIDO `sk-` keys, DSA, unknown key types, an
allowed-signers or revoked-keys text outside the shape baosong writes): the caller then asks
ssh-keygen, so such a signature is slower but never judged differently.

The signing side (`SshKey`, `sign_with`, `load_signing_key`) writes what `ssh-keygen -Y sign` writes;
for Ed25519 the bytes are identical.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
import os
import re
import struct
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

MAGIC = b"SSHSIG"
SIG_VERSION = 1
BEGIN = b"-----BEGIN SSH SIGNATURE-----\n"
END = b"\n-----END SSH SIGNATURE-----"
HASHALGS = {b"sha256": hashlib.sha256, b"sha512": hashlib.sha512}
RSA_SIGN_ALLOWED = (b"rsa-sha2-512", b"rsa-sha2-256")
RSA_HASHES = {b"ssh-rsa": "sha1", b"rsa-sha2-256": "sha256", b"rsa-sha2-512": "sha512"}
MAX_BIGNUM = 16384 // 8
MAX_ECPOINT = (528 * 2 // 8) + 1
MAX_SIGN_DATA = 1 << 20
MAX_PRINCIPALS = 256
RSA_MIN_BITS = 1024
CERT_USER, CERT_HOST = 1, 2
ED25519_L = 2**252 + 27742317777372353535851937790883648493
_C_SPACE = b" \t\n\v\f\r"
_B64_BODY = re.compile(rb"[A-Za-z0-9+/]*")
_B64_VALUE = {c: i for i, c in enumerate(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")}


class Invalid(Exception):
    """ssh-keygen refuses this too (malformed, wrong key, bad signature)."""


class KeyLength(Invalid):
    """An RSA key below 1024 bits: refused, but skipped (not an error) in a revoked-keys list."""


class Unsupported(Exception):
    """Not judged in-process; the caller falls back to ssh-keygen. The message names what (Chinese)."""


# ---------------------------------------------------------------------------------------------
# Wire format


class Reader:
    """SSH wire reading with OpenSSH's sshbuf rules; every shortfall is Invalid."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def left(self) -> int:
        return len(self.data) - self.pos

    def u32(self) -> int:
        if self.left() < 4:
            raise Invalid("short u32")
        (v,) = struct.unpack_from(">I", self.data, self.pos)
        self.pos += 4
        return v

    def u64(self) -> int:
        if self.left() < 8:
            raise Invalid("short u64")
        (v,) = struct.unpack_from(">Q", self.data, self.pos)
        self.pos += 8
        return v

    def string(self) -> bytes:
        # u32() and left() inlined: this runs several times per signature. On a short string the
        # position stays before its length, as sshbuf leaves it.
        data, pos = self.data, self.pos
        if len(data) - pos < 4:
            raise Invalid("short u32")
        (n,) = struct.unpack_from(">I", data, pos)
        pos += 4
        if n > len(data) - pos:
            raise Invalid("short string")
        self.pos = pos + n
        return data[pos:pos + n]

    def cstring(self) -> bytes:
        """sshbuf_get_cstring: a NUL only as the last byte (then dropped, as C sees the string)."""
        v = self.string()
        z = v.find(b"\0")
        if z != -1:
            if z < len(v) - 1:
                raise Invalid("NUL in string")
            v = v[:-1]
        return v

    def mpint(self) -> int:
        """sshbuf_get_bignum2: positive only, at most 16384 bits, leading zero bytes allowed."""
        v = self.string()
        if v and v[0] & 0x80:
            raise Invalid("negative bignum")
        if len(v) > MAX_BIGNUM + 1 or (len(v) == MAX_BIGNUM + 1 and v[0] != 0):
            raise Invalid("bignum too large")
        return int.from_bytes(v, "big")


def sshstr(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def mpint_bytes(n: int) -> bytes:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return sshstr(b"\0" + raw if raw and raw[0] & 0x80 else raw)


def b64_pton(text: bytes) -> bytes:
    """BIND's b64_pton as OpenSSH uses it: whitespace skipped, exact padding, unused bits zero."""
    s = text.translate(None, _C_SPACE)
    body = _B64_BODY.match(s).group()
    tail = s[len(body):]
    rem = len(body) % 4
    if (rem, tail) not in ((0, b""), (2, b"=="), (3, b"=")):
        raise Invalid("base64")
    if rem and _B64_VALUE[body[-1]] & (0x0F if rem == 2 else 0x03):
        raise Invalid("base64 trailing bits")  # BIND refuses a "subliminal channel" in the unused bits
    try:
        return binascii.a2b_base64(s, strict_mode=True) if s else b""
    except binascii.Error as exc:
        raise Invalid("base64") from exc


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
# Keys


@dataclass(frozen=True, slots=True)
class _Curve:
    name: bytes  # OpenSSH's curve identifier, "nistp256"
    ssh_name: bytes  # key type name, "ecdsa-sha2-nistp256"
    p: int
    b: int
    n: int
    size: int  # field element bytes
    hash: str


CURVES = {c.name: c for c in (
    _Curve(b"nistp256", b"ecdsa-sha2-nistp256", 2**256 - 2**224 + 2**192 + 2**96 - 1,
           0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
           0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551, 32, "sha256"),
    _Curve(b"nistp384", b"ecdsa-sha2-nistp384", 2**384 - 2**128 - 2**96 + 2**32 - 1,
           0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF,
           0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973,
           48, "sha384"),
    _Curve(b"nistp521", b"ecdsa-sha2-nistp521", 2**521 - 1,
           int("0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1"
               "BF073573DF883D2C34F1EF451FD46B503F00", 16),
           int("01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
               "FA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409", 16), 66, "sha512"),
)}

# OpenSSH 9.2's key types: name -> (family, certificate?, curve). Families this module verifies:
# ed25519, ecdsa, rsa; the others are read (for key comparisons) but their signatures are not.
_NAMES: dict[bytes, tuple[str, bool, bytes | None]] = {
    b"ssh-ed25519": ("ed25519", False, None),
    b"ssh-ed25519-cert-v01@openssh.com": ("ed25519", True, None),
    b"sk-ssh-ed25519@openssh.com": ("ed25519-sk", False, None),
    b"sk-ssh-ed25519-cert-v01@openssh.com": ("ed25519-sk", True, None),
    b"sk-ecdsa-sha2-nistp256@openssh.com": ("ecdsa-sk", False, b"nistp256"),
    b"sk-ecdsa-sha2-nistp256-cert-v01@openssh.com": ("ecdsa-sk", True, b"nistp256"),
    b"webauthn-sk-ecdsa-sha2-nistp256@openssh.com": ("ecdsa-sk", False, b"nistp256"),
    b"ssh-dss": ("dsa", False, None),
    b"ssh-dss-cert-v01@openssh.com": ("dsa", True, None),
    b"ssh-rsa": ("rsa", False, None),
    b"ssh-rsa-cert-v01@openssh.com": ("rsa", True, None),
    b"rsa-sha2-256": ("rsa", False, None),
    b"rsa-sha2-256-cert-v01@openssh.com": ("rsa", True, None),
    b"rsa-sha2-512": ("rsa", False, None),
    b"rsa-sha2-512-cert-v01@openssh.com": ("rsa", True, None),
}
for _c in CURVES.values():
    _NAMES[_c.ssh_name] = ("ecdsa", False, _c.name)
    _NAMES[_c.ssh_name + b"-cert-v01@openssh.com"] = ("ecdsa", True, _c.name)
# sshkey_type_from_name also accepts plain types' short names, in any case; ECDSA then has no curve.
_SHORT = {b"ed25519": "ed25519", b"ed25519-sk": "ed25519-sk", b"ecdsa": "ecdsa", b"ecdsa-sk": "ecdsa-sk",
          b"dsa": "dsa", b"rsa": "rsa"}
_PLAIN_NAME = {"ed25519": b"ssh-ed25519", "rsa": b"ssh-rsa", "ed25519-sk": b"sk-ssh-ed25519@openssh.com",
               "ecdsa-sk": b"sk-ecdsa-sha2-nistp256@openssh.com", "dsa": b"ssh-dss"}
VERIFIED = ("ed25519", "ecdsa", "rsa")


def _type_from_name(name: bytes) -> tuple[str, bool, bytes | None]:
    if name in _NAMES:
        return _NAMES[name]
    family = _SHORT.get(name.lower())
    if family is None:
        raise Unsupported(f"密钥类型 {name.decode('ascii', 'replace')[:60]}")
    return family, False, None


@dataclass(eq=False, slots=True)
class Certificate:
    ctype: int
    key_id: bytes
    principals: list[bytes]
    valid_after: int
    valid_before: int
    critical: bytes
    extensions: bytes
    ca: PublicKey
    blob: bytes  # the whole certificate blob (sshkey_equal compares it)

    def check_authority(self, verify_time: int, name: bytes | None) -> str | None:
        """sshkey_cert_check_authority for a user certificate: None if authorised, else the reason."""
        if self.ctype != CERT_USER:
            return "Certificate invalid: not a user certificate"
        if verify_time < self.valid_after:
            return "Certificate invalid: not yet valid"
        if verify_time >= self.valid_before:
            return "Certificate invalid: expired"
        if not self.principals:
            return "Certificate lacks principal list"
        if name is not None and name not in self.principals:
            return "Certificate invalid: name is not a listed principal"
        return None


_TYPE_LABEL = {"ed25519": "ED25519", "ecdsa": "ECDSA", "rsa": "RSA", "ed25519-sk": "ED25519-SK",
               "ecdsa-sk": "ECDSA-SK", "dsa": "DSA"}


@dataclass(eq=False, slots=True)
class PublicKey:
    family: str
    curve: bytes | None
    material: tuple  # the public part: what sshkey_equal_public compares
    cert: Certificate | None = None
    _crypto: object = field(default=None, repr=False)
    _fp: str | None = field(default=None, repr=False)

    @property
    def plain_name(self) -> bytes:
        return CURVES[self.curve].ssh_name if self.family == "ecdsa" else _PLAIN_NAME[self.family]

    def type_label(self) -> str:
        """sshkey_type: "ED25519", "ECDSA-CERT", ..."""
        return _TYPE_LABEL[self.family] + ("-CERT" if self.cert else "")

    def plain_blob(self) -> bytes:
        """The key as OpenSSH serialises it for a fingerprint (a certificate's own key, canonical)."""
        name = sshstr(self.plain_name)
        if self.family == "ed25519":
            return name + sshstr(self.material[0])
        if self.family == "ecdsa":
            return name + sshstr(self.curve) + sshstr(self.material[1])
        if self.family == "rsa":
            return name + mpint_bytes(self.material[0]) + mpint_bytes(self.material[1])
        if self.family == "ed25519-sk":
            return name + sshstr(self.material[0]) + sshstr(self.material[1])
        if self.family == "ecdsa-sk":
            return name + sshstr(self.curve) + sshstr(self.material[1]) + sshstr(self.material[2])
        raise Unsupported(f"密钥类型 {self.plain_name.decode()}")

    def fingerprint(self) -> str:
        if self._fp is None:  # made once: a cached key answers every signature it made
            digest = hashlib.sha256(self.plain_blob()).digest()
            self._fp = "SHA256:" + base64.b64encode(digest).decode().rstrip("=")
        return self._fp

    def same_public(self, other: PublicKey) -> bool:
        """sshkey_equal_public: same plain type and public part (a certificate equals its own key)."""
        return self.family == other.family and self.curve == other.curve and self.material == other.material

    def same(self, other: PublicKey) -> bool:
        """sshkey_equal: also the same certificate, byte for byte, or both plain."""
        if (self.cert is None) != (other.cert is None):
            return False
        if self.cert is not None and self.cert.blob != other.cert.blob:
            return False
        return self.same_public(other)

    def crypto(self):
        """The `cryptography` public key (made once); Unsupported when it refuses the numbers."""
        if self._crypto is None:
            self._crypto = _crypto_key(self)
        return self._crypto


def _crypto_key(key: PublicKey):
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    try:
        if key.family == "ed25519":
            return ed25519.Ed25519PublicKey.from_public_bytes(key.material[0])
        if key.family == "ecdsa":
            curve = {b"nistp256": ec.SECP256R1, b"nistp384": ec.SECP384R1, b"nistp521": ec.SECP521R1}[key.curve]()
            return ec.EllipticCurvePublicKey.from_encoded_point(curve, key.material[1])
        if key.family == "rsa":
            return rsa.RSAPublicNumbers(key.material[0], key.material[1]).public_key()
    except (ValueError, TypeError) as exc:  # numbers OpenSSH takes but `cryptography` does not
        raise Unsupported(f"{key.plain_name.decode()} 密钥参数") from exc
    raise Unsupported(f"密钥类型 {key.plain_name.decode()}")


def _ec_point(r: Reader, curve: _Curve) -> bytes:
    """sshbuf_get_eckey + sshkey_ec_validate_public."""
    point = r.string()
    if not point or len(point) > MAX_ECPOINT or point[0] != 4 or len(point) != 1 + 2 * curve.size:
        raise Invalid("EC point")
    x = int.from_bytes(point[1:1 + curve.size], "big")
    y = int.from_bytes(point[1 + curve.size:], "big")
    p = curve.p
    if x >= p or y >= p or (y * y - (x * x * x - 3 * x + curve.b)) % p:
        raise Invalid("EC point not on curve")
    half = curve.n.bit_length() // 2
    if x.bit_length() <= half or y.bit_length() <= half or x >= curve.n - 1 or y >= curve.n - 1:
        raise Invalid("EC point rejected")
    return point


def _deserialize(r: Reader, family: str, curve: bytes | None, name: bytes) -> tuple:
    if family in ("ed25519", "ed25519-sk"):
        pk = r.string()
        if len(pk) != 32:
            raise Invalid("ed25519 key length")
        return (pk, r.cstring()) if family == "ed25519-sk" else (pk,)
    if family in ("ecdsa", "ecdsa-sk"):
        if curve is None:  # the short name "ECDSA" names no curve: OpenSSH cannot read the key
            raise Invalid("ECDSA without curve")
        if r.cstring() != curve:
            raise Invalid("curve mismatch")
        point = _ec_point(r, CURVES[curve])
        return (curve, point, r.cstring()) if family == "ecdsa-sk" else (curve, point)
    if family == "rsa":
        e, n = r.mpint(), r.mpint()
        if n.bit_length() < RSA_MIN_BITS:
            raise KeyLength("RSA key too short")
        return (e, n)
    raise Unsupported(f"密钥类型 {name.decode('ascii', 'replace')[:60]}")


def parse_key(blob: bytes, *, allow_cert: bool = True) -> PublicKey:
    """sshkey_from_blob: a public key or certificate (its CA signature checked). Invalid / Unsupported."""
    r = Reader(blob)
    try:
        name = r.cstring()
    except Invalid as exc:
        raise Invalid("key type") from exc
    family, is_cert, curve = _type_from_name(name)
    if is_cert and not allow_cert:
        raise Invalid("certificate as CA key")
    if is_cert:
        r.string()  # nonce
    material = _deserialize(r, family, curve, name)
    key = PublicKey(family, curve, material)
    if is_cert:
        key.cert = _cert_parse(r, blob)
    if r.left():
        raise Invalid("trailing data after key")
    return key


def _cert_parse(r: Reader, blob: bytes) -> Certificate:
    try:
        r.u64()  # serial
        ctype = r.u32()
        key_id = r.cstring()
        principals_raw = r.string()
        valid_after, valid_before = r.u64(), r.u64()
        critical, extensions = r.string(), r.string()
        r.string()  # reserved
        ca_blob = r.string()
        signed_len = r.pos
        signature = r.string()
    except Invalid as exc:
        raise Invalid("certificate format") from exc
    if ctype not in (CERT_USER, CERT_HOST):
        raise Invalid("certificate type")
    principals: list[bytes] = []
    pr = Reader(principals_raw)
    while pr.left():
        if len(principals) >= MAX_PRINCIPALS:
            raise Invalid("too many principals")
        principals.append(pr.cstring())
    for section in (critical, extensions):
        sr = Reader(section)
        while sr.left():
            sr.string()
            sr.string()
    try:
        ca = parse_key(ca_blob, allow_cert=False)
    except Invalid as exc:
        raise Invalid("certificate CA key") from exc
    if not verify_raw(ca, signature, blob[:signed_len], None):
        raise Invalid("certificate signature")
    return Certificate(ctype, key_id, principals, valid_after, valid_before, critical, extensions, ca, blob)


# ---------------------------------------------------------------------------------------------
# Signatures over data (sshkey_verify)


def verify_raw(key: PublicKey, sig: bytes, data: bytes, rsa_allowed: tuple[bytes, ...] | None) -> bool:
    """sshkey_verify(key, sig, data, alg=NULL): True, False; Unsupported for keys not verified here.

    rsa_allowed: the RSA signature algorithms accepted (None: any of the three, as for certificates).
    """
    if key.family not in VERIFIED:
        raise Unsupported(f"密钥类型 {key.plain_name.decode()}")
    if not sig or len(data) > MAX_SIGN_DATA:
        return False
    from cryptography.exceptions import InvalidSignature

    r = Reader(sig)
    try:
        sigtype = r.cstring()
        if key.family == "rsa":
            if rsa_allowed is not None and sigtype not in rsa_allowed:
                return False
            return _verify_rsa(key, sigtype, r, data)
        if key.family == "ed25519":
            return _verify_ed25519(key, sigtype, r, data)
        return _verify_ecdsa(key, sigtype, r, data)
    except Invalid:
        return False
    except InvalidSignature:
        return False


def _verify_ed25519(key: PublicKey, sigtype: bytes, r: Reader, data: bytes) -> bool:
    blob = r.string()
    if sigtype != b"ssh-ed25519" or r.left() or len(blob) != 64 or blob[63] & 0xE0:
        return False
    s = int.from_bytes(blob[32:], "little")
    if s >= ED25519_L:  # OpenSSH reduces S; OpenSSL would refuse it: hand it the reduced value
        blob = blob[:32] + (s % ED25519_L).to_bytes(32, "little")
    key.crypto().verify(blob, data)
    return True


def _verify_ecdsa(key: PublicKey, sigtype: bytes, r: Reader, data: bytes) -> bool:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    inner = r.string()
    if sigtype != key.plain_name or r.left():
        return False
    sr = Reader(inner)
    rr, ss = sr.mpint(), sr.mpint()
    if sr.left():
        return False
    curve = CURVES[key.curve]
    digest = hashlib.new(curve.hash, data).digest()
    if not (0 < rr < curve.n and 0 < ss < curve.n):
        return False
    halg = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}[curve.hash]()
    key.crypto().verify(utils.encode_dss_signature(rr, ss), digest, ec.ECDSA(utils.Prehashed(halg)))
    return True


def _verify_rsa(key: PublicKey, sigtype: bytes, r: Reader, data: bytes) -> bool:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, utils

    hname = RSA_HASHES.get(sigtype)
    if hname is None:
        return False
    blob = r.string()
    if r.left():
        return False
    modlen = (key.material[1].bit_length() + 7) // 8
    if len(blob) > modlen or not blob:
        return False
    blob = blob.rjust(modlen, b"\0")  # OpenSSH pads a short signature on the left
    halg = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha512": hashes.SHA512}[hname]()
    digest = hashlib.new(hname, data).digest()
    key.crypto().verify(blob, digest, padding.PKCS1v15(), utils.Prehashed(halg))
    return True


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
# Allowed signers and revoked keys


@dataclass(slots=True)
class SignerLine:
    number: int
    principals: bytes
    ca: bool
    namespaces: bytes | None
    valid_after: int  # 0: none
    valid_before: int
    key: PublicKey | None  # None: ssh-keygen cannot use the line (or it holds a key type never verified here)


_LINE = re.compile(rb'(?P<p>[A-Za-z0-9][A-Za-z0-9._@+-]*) (?P<ca>cert-authority,)?namespaces="(?P<ns>[A-Za-z0-9._@+,-]*)"'
                   rb'(?:,valid-after="(?P<va>[0-9]{14})Z")?(?:,valid-before="(?P<vb>[0-9]{14})Z")?'
                   rb' (?P<t>[^ \t\r\n]+)(?: (?P<k>[^ \t\r\n]+))?')
_KEY_LINE = re.compile(rb'[ \t]*(?P<t>[^ \t\r\n]+)(?: (?P<k>[^ \t\r\n]+))?')


def _lines(text: bytes) -> list[bytes]:
    """getline(): lines without their newline; a last line without one counts too."""
    parts = text.split(b"\n")
    return parts[:-1] if parts and parts[-1] == b"" else parts


def _abs_time(digits: bytes) -> int:
    """parse_absolute_time("YYYYMMDDHHMMSS" + "Z"); 0 (refused) for times OpenSSH refuses."""
    y, mo, d, h, mi, s = (int(digits[a:b]) for a, b in ((0, 4), (4, 6), (6, 8), (8, 10), (10, 12), (12, 14)))
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h <= 23 and mi <= 59 and s <= 59):
        raise Unsupported("允许签名者的时间格式")
    t = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    return t if t > 0 else 0


def _read_line_key(type_token: bytes, blob_token: bytes | None) -> PublicKey:
    """sshkey_read of "type base64". Invalid: ssh-keygen cannot read it either. Unsupported: a key this
    module does not read (DSA); it can only equal a signing key that sends the caller to ssh-keygen."""
    if type_token not in _NAMES or blob_token is None:
        raise Invalid("key type token")
    family, is_cert, curve = _NAMES[type_token]
    key = parse_key(b64_pton(blob_token))
    if key.family != family or (key.cert is not None) != is_cert:
        raise Invalid("key type mismatch")
    if family in ("ecdsa", "ecdsa-sk") and key.curve != curve:
        raise Invalid("curve mismatch")
    return key


class Signers:
    """The allowed-signers and revoked-keys texts baosong writes, judged as ssh-keygen judges them."""

    def __init__(self, allowed_text: str, revoked_text: str, label: str = "allowed_signers") -> None:
        self.label = label
        self.lines: list[SignerLine] = []
        for number, line in enumerate(_lines(allowed_text.encode("utf-8")), start=1):
            if not line.strip(b" \t") or line.lstrip(b" \t").startswith(b"#"):
                continue
            m = _LINE.fullmatch(line)
            if m is None:
                raise Unsupported("允许签名者文件的格式")
            va = _abs_time(m["va"]) if m["va"] else None
            vb = _abs_time(m["vb"]) if m["vb"] else None
            key: PublicKey | None = None
            usable = va != 0 and vb != 0 and not (va and vb and vb <= va)
            if usable:
                try:  # FIDO keys stay: a signature by one is matched here, then verified by ssh-keygen
                    key = _read_line_key(m["t"], m["k"])
                except (Invalid, Unsupported):  # unreadable, or DSA (whose signatures never get this far)
                    key = None
            self.lines.append(SignerLine(number, m["p"], bool(m["ca"]), m["ns"], va or 0, vb or 0, key))
        self.revoked: list[PublicKey] = []
        self.revoked_broken = False  # a line ssh-keygen cannot read: every check against the list fails
        self.has_revoked = bool(revoked_text)
        raw = revoked_text.encode("utf-8")
        if raw.startswith(b"SSHKRL\n\0"):
            raise Unsupported("吊销列表格式（KRL）")
        for line in _lines(raw):
            body = line.lstrip(b" \t")
            if not body or body.startswith(b"#"):
                continue
            m = _KEY_LINE.fullmatch(line)
            if m is None:
                raise Unsupported("吊销列表的格式")
            try:
                self.revoked.append(_read_line_key(m["t"], m["k"]))
            except KeyLength:
                continue
            except Invalid:
                self.revoked_broken = True
        self._by_key: dict[tuple, list[SignerLine]] = {}
        for ln in self.lines:
            if ln.key is not None:
                self._by_key.setdefault((ln.key.family, ln.key.curve, ln.key.material), []).append(ln)

    # -- the checks --------------------------------------------------------------------------

    def is_revoked(self, key: PublicKey) -> bool:
        """sshkey_check_revoked failing: the key or its CA is listed, or the list cannot be read."""
        if self.revoked_broken:
            return True
        return any(key.same_public(k) or (key.cert is not None and key.cert.ca.same_public(k))
                   for k in self.revoked)

    def _candidates(self, key: PublicKey) -> list[SignerLine]:
        """Lines whose key could match (the key itself, or the certificate's CA), in file order."""
        found = self._by_key.get((key.family, key.curve, key.material), [])
        if key.cert is None:
            return found  # one key's lines, already in file order (callers only read them)
        ca = key.cert.ca
        return sorted(found + self._by_key.get((ca.family, ca.curve, ca.material), []), key=lambda ln: ln.number)

    def _line_matches(self, ln: SignerLine, key: PublicKey, principal: bytes | None, namespace: bytes | None,
                      verify_time: int, notes: list[str]) -> list[bytes] | None:
        """check_allowed_keys_line: the principals it yields, or None (reasons appended to notes)."""
        where = f"{self.label}:{ln.number}"
        principals = [ln.principals]
        if not ln.ca and ln.key.same(key):
            pass
        elif ln.ca and key.cert is not None and key.cert.ca.same_public(ln.key):
            if principal is not None:
                reason = key.cert.check_authority(verify_time, principal)
                if reason:
                    notes.append(f"{where}: certificate not authorized: {reason}")
                    return None
            else:
                if key.cert.check_authority(verify_time, None):
                    notes.append(f"{where}: no valid principals found")
                    return None
                principals = [p for p in key.cert.principals if p == ln.principals]
                if not principals:
                    notes.append(f"{where}: no valid principals found")
                    return None
        else:
            return None
        if ln.namespaces is not None and namespace is not None and not _in_pattern_list(namespace, ln.namespaces):
            notes.append(f'{where}: key is not permitted for use in signature namespace "{namespace.decode()}"')
            return None
        if ln.valid_after and verify_time < ln.valid_after:
            notes.append(f"{where}: key is not yet valid: verify time {verify_time} < valid-after {ln.valid_after}")
            return None
        if ln.valid_before and verify_time > ln.valid_before:
            notes.append(f"{where}: key has expired: verify time {verify_time} > valid-before {ln.valid_before}")
            return None
        return principals

    def allowed(self, key: PublicKey, principal: bytes, namespace: bytes, verify_time: int,
                notes: list[str]) -> bool:
        """sshsig_check_allowed_keys: some line for `principal` allows the key at verify_time."""
        return any(ln.principals == principal and self._line_matches(ln, key, principal, namespace, verify_time,
                                                                     notes) is not None
                   for ln in self._candidates(key))

    def find_principals(self, key: PublicKey, verify_time: int) -> list[bytes]:
        """sshsig_find_principals: the principals of the first line that allows the key."""
        for ln in self._candidates(key):
            found = self._line_matches(ln, key, None, None, verify_time, [])
            if found is not None:
                return found
        return []


def _in_pattern_list(value: bytes, patterns: bytes) -> bool:
    """match_pattern_list for patterns without wildcards or negation (what the line grammar allows)."""
    got = False
    for sub in patterns.split(b","):
        if len(sub) >= 1023:
            return False
        got = got or sub == value
    return got


# ---------------------------------------------------------------------------------------------
# ssh-keygen -Y verify / find-principals, in-process


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)


def verify_time_of(when: datetime | None) -> int:
    """The verify time ssh-keygen is given (-Overify-time, whole seconds, UTC) or its own clock."""
    if when is None:
        t = int(time.time())
    elif when.tzinfo is not None:
        t = (when - _EPOCH) // _SECOND  # exact, as timegm(utctimetuple()), without building the tuple
    else:  # a naive time is local time, as astimezone() reads it
        t = calendar.timegm(when.astimezone(UTC).timetuple())
    if t <= 0:
        raise Unsupported("验证时间早于 1970 年")
    return t


class Check:
    """One signature over one payload, judged like successive `ssh-keygen -Y` runs on it.

    The armour and the signature are read once; `verify` and `find_principals` then mirror the
    commands' results, with the same texts where the caller reads them ("expired", "not yet valid",
    the fingerprint after "Good")."""

    def __init__(self, signers: Signers, armored: bytes, payload: bytes, dearmored: bytes | None = None) -> None:
        """dearmored: `dearmor(armored)` when the caller already has it (the armour is then not read again)."""
        self.signers = signers
        self.armored = armored
        self.payload = payload
        self._blob: bytes | None = dearmored
        self._blob_error = False
        self._verified: dict[bytes, PublicKey | None] = {}

    def _dearmored(self) -> bytes | None:
        if self._blob is None and not self._blob_error:
            try:
                self._blob = dearmor(self.armored)
            except Invalid:
                self._blob_error = True
        return self._blob

    def _signing_key(self, namespace: bytes) -> PublicKey | None:
        if namespace not in self._verified:
            blob = self._dearmored()
            key = None
            if blob is not None:
                try:
                    key = verify_sshsig(blob, self.payload, namespace)
                except Invalid:
                    key = None
            self._verified[namespace] = key
        return self._verified[namespace]

    def verify(self, principal: str, namespace: str, when: datetime | None, revoked: bool = True) -> tuple[bool, str]:
        """ssh-keygen -Y verify -I principal -n namespace [-r revoked] -Overify-time=when."""
        vt = verify_time_of(when)
        ns = namespace.encode()
        key = self._signing_key(ns)
        if key is None:
            return False, "Could not verify signature.\n"
        if revoked and self.signers.has_revoked and self.signers.is_revoked(key):
            return False, "Could not verify signature.\n"
        notes: list[str] = []
        if not self.signers.allowed(key, principal.encode(), ns, vt, notes):
            return False, "".join(f"{n}\n" for n in notes) + "Could not verify signature.\n"
        return True, f'Good "{namespace}" signature for {principal} with {key.type_label()} key {key.fingerprint()}\n'

    def find_principals(self, when: datetime | None) -> list[str]:
        """ssh-keygen -Y find-principals -Overify-time=when, its output read as the caller reads it."""
        vt = verify_time_of(when)
        blob = self._dearmored()
        if blob is None:
            return []
        try:
            key = signature_pubkey(blob)
        except Invalid:
            return []
        found = self.signers.find_principals(key, vt)
        return b"\n".join(found).decode("utf-8", "replace").split()


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
        curve = CURVES[key.curve]
        halg = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}[curve.hash]()
        r, s = utils.decode_dss_signature(private_key.sign(tosign, ec.ECDSA(halg)))
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

