"""`ssh-keygen -Y verify` / `-Y find-principals` in-process: the allowed-signers and revoked-keys
texts, and the verdicts.

`Signers` reads the texts baosong writes (`principal [cert-authority,]namespaces="…"[,valid-after=
"…Z"][,valid-before="…Z"] key`), each line judged as ssh-keygen judges it, first match wins; a key is
revoked when it or its certificate's CA is listed; a revoked-keys line that does not parse makes every
check against the list fail, as in ssh-keygen. `Check` is one signature over one payload judged as
`ssh-keygen -Y verify` / `-Y find-principals` judge it (the SSHSIG blob by `sshsig.py`, keys and
certificates by `sshkey.py`).

An allowed-signers or revoked-keys text outside the shape baosong writes raises `Unsupported`, as does
a signature by a key `sshkey` cannot judge: the caller then asks ssh-keygen, so such a signature is
slower but never judged differently.
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from baosong.sshkey import Invalid, KeyLength, PublicKey, Unsupported, read_key
from baosong.sshsig import dearmor, signature_pubkey, verify_sshsig

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
                    key = read_key(m["t"], m["k"])
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
                self.revoked.append(read_key(m["t"], m["k"]))
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
        line_key = ln.key
        if line_key is None:  # not a candidate (see _candidates): no key, nothing matches
            return None
        if not ln.ca and line_key.same(key):
            pass
        elif ln.ca and key.cert is not None and key.cert.ca.same_public(line_key):
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
