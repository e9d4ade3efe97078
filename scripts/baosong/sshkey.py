"""SSH public keys and certificates read, and raw signatures verified, as OpenSSH 9.2's sshkey.c does.

The wire format (`Reader`: sshbuf's rules), the key types OpenSSH knows, public keys and user
certificates (`parse_key`: sshkey_from_blob; `read_key`: sshkey_read of an "type base64" text) and
`verify_raw` (sshkey_verify). The SSHSIG format is in `sshsig.py`, the allowed-signers and revoked-keys
files and ssh-keygen's verdicts in `sshverify.py`. The verdicts must be ssh-keygen's (see
`sshsig.py`), so this follows OpenSSH's code where it differs from the protocol documents:

- strings read as C strings refuse an inner NUL but accept one as the last byte ("git\\0" is "git");
- keys: the type names OpenSSH knows (also its aliases: `rsa-sha2-256` or `RSA` name an RSA key),
  integers with leading zero bytes, ECDSA points checked as `sshkey_ec_validate_public` does, RSA
  moduli of at least 1024 bits; two keys are the same key when their public parts are equal;
- Ed25519 as OpenSSH's reference code: S is reduced modulo L, only its top three bits are refused
  (a signature libsodium accepts is good at once: see `_sodium_accepts`);
- certificates: the CA's signature is checked when the key is read (any algorithm, SHA-1 RSA
  included, as ssh-keygen does), then at use (`Certificate.check_authority`): user certificate,
  validity window (valid_before exclusive), the requested principal listed. ssh-keygen does not look
  at critical options for signatures (it refuses them for host certificates only), so neither does
  this module.

A key this module cannot judge raises `Unsupported` (FIDO `sk-` keys, DSA, unknown key types): the
caller then asks ssh-keygen, so such a signature is slower but never judged differently.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # cryptography is imported where it is used: reading keys does not need it
    from cryptography.hazmat.primitives.hashes import HashAlgorithm

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
    m = _B64_BODY.match(s)  # always matches (a starred class)
    body = m.group() if m else b""
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
        return self.ec_curve().ssh_name if self.family == "ecdsa" else _PLAIN_NAME[self.family]

    def ec_curve(self) -> _Curve:
        """An ECDSA key's curve (`parse_key` reads no ECDSA key without one)."""
        if self.curve is None:
            raise Invalid("ECDSA without curve")
        return CURVES[self.curve]

    def type_label(self) -> str:
        """sshkey_type: "ED25519", "ECDSA-CERT", ..."""
        return _TYPE_LABEL[self.family] + ("-CERT" if self.cert else "")

    def plain_blob(self) -> bytes:
        """The key as OpenSSH serialises it for a fingerprint (a certificate's own key, canonical)."""
        name = sshstr(self.plain_name)
        if self.family == "ed25519":
            return name + sshstr(self.material[0])
        if self.family == "ecdsa":
            return name + sshstr(self.ec_curve().name) + sshstr(self.material[1])
        if self.family == "rsa":
            return name + mpint_bytes(self.material[0]) + mpint_bytes(self.material[1])
        if self.family == "ed25519-sk":
            return name + sshstr(self.material[0]) + sshstr(self.material[1])
        if self.family == "ecdsa-sk":
            return name + sshstr(self.ec_curve().name) + sshstr(self.material[1]) + sshstr(self.material[2])
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
        if self.cert is not None and other.cert is not None and self.cert.blob != other.cert.blob:
            return False
        return self.same_public(other)

    def crypto(self) -> Any:
        """The `cryptography` public key (made once); Unsupported when it refuses the numbers."""
        if self._crypto is None:
            self._crypto = _crypto_key(self)
        return self._crypto


def _crypto_key(key: PublicKey) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    try:
        if key.family == "ed25519":
            return ed25519.Ed25519PublicKey.from_public_bytes(key.material[0])
        if key.family == "ecdsa":
            curves: dict[bytes, Callable[[], ec.EllipticCurve]] = {
                b"nistp256": ec.SECP256R1, b"nistp384": ec.SECP384R1, b"nistp521": ec.SECP521R1}
            curve = curves[key.ec_curve().name]()
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
    if SODIUM and _sodium_accepts(key.material[0], blob, data):
        return True
    s = int.from_bytes(blob[32:], "little")
    if s >= ED25519_L:  # OpenSSH reduces S; OpenSSL would refuse it: hand it the reduced value
        blob = blob[:32] + (s % ED25519_L).to_bytes(32, "little")
    key.crypto().verify(blob, data)
    return True


# libsodium (PyNaCl) checks an Ed25519 signature in about half the time OpenSSL takes, and it is the
# stricter of the two: it refuses a non-canonical S and small-order or non-canonical points, then
# compares the recomputed R byte for byte, as OpenSSH's reference code does after reducing S. What it
# accepts, OpenSSH accepts; so its "good" is final, and everything it refuses is decided by the path
# above (OpenSSL with OpenSSH's reduction of S), which keeps OpenSSH's leniencies. Without PyNaCl
# (a platform without its wheel) every signature takes that path: slower, same verdicts.
SODIUM = True  # bench/bench_sshsig.py switches it off to measure the OpenSSL path alone


@functools.cache
def _sodium() -> tuple[Callable[[bytes, bytes], bytes], tuple[type[Exception], ...]] | None:
    """libsodium's crypto_sign_open and what it raises for a refused signature; None without PyNaCl.
    Imported on first use: reading keys and refusing early need none of it."""
    try:
        from nacl.bindings import crypto_sign_open
        from nacl.exceptions import CryptoError
    except ImportError:
        return None
    return crypto_sign_open, (CryptoError, ValueError, TypeError)


def _sodium_accepts(public: bytes, sig: bytes, data: bytes) -> bool:
    sodium = _sodium()
    if sodium is None:
        return False
    sign_open, refused = sodium
    try:
        sign_open(sig + data, public)
    except refused:
        return False
    return True


def _verify_ecdsa(key: PublicKey, sigtype: bytes, r: Reader, data: bytes) -> bool:
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    inner = r.string()
    if sigtype != key.plain_name or r.left():
        return False
    sr = Reader(inner)
    rr, ss = sr.mpint(), sr.mpint()
    if sr.left():
        return False
    curve = key.ec_curve()
    digest = hashlib.new(curve.hash, data).digest()
    if not (0 < rr < curve.n and 0 < ss < curve.n):
        return False
    halg = hash_algorithm(curve.hash)
    key.crypto().verify(utils.encode_dss_signature(rr, ss), digest, ec.ECDSA(utils.Prehashed(halg)))
    return True


def _verify_rsa(key: PublicKey, sigtype: bytes, r: Reader, data: bytes) -> bool:
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
    digest = hashlib.new(hname, data).digest()
    key.crypto().verify(blob, digest, padding.PKCS1v15(), utils.Prehashed(hash_algorithm(hname)))
    return True


def hash_algorithm(name: str) -> HashAlgorithm:
    """The `cryptography` hash named as `hashlib` names it ("sha1", "sha256", "sha384", "sha512")."""
    from cryptography.hazmat.primitives import hashes

    algorithms: dict[str, Callable[[], hashes.HashAlgorithm]] = {
        "sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}
    return algorithms[name]()


def read_key(type_token: bytes, blob_token: bytes | None) -> PublicKey:
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
