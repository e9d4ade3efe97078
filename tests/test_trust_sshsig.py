"""In-process SSH signature verification (baosong.sshsig) against ssh-keygen, the oracle.

The same `Verifier.verify_data` runs twice over every case: in-process, and with `in_process = False`
(one `ssh-keygen -Y verify` / `find-principals` per question, the code path of before). The verdicts
(status, principal, staff, unit, key fingerprint) must be identical. The cases: every commit, receipt
and checkpoint of a demo registry; each key type and certificate shape; a corpus of mutations
(flipped bytes in signature, armour and payload, wrong namespace, other key, truncated armour);
certificates expired or not yet valid; revoked keys and CAs; the encodings only OpenSSH's own
reading decides (aliases, padding, non-canonical numbers); key types the in-process path does not
handle, which must go to ssh-keygen, counted, and be named in the command output.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from dataclasses import astuple
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sshsig_helpers as sh
import trust_helpers as th
from baosong import signatures, sshsig
from baosong.config import Config, load_config
from baosong.gitrepo import GitTree
from baosong.history import read_arrivals
from baosong.receipts import RECEIPTS_REF, read_checkpoints, verify_record
from baosong.signatures import (
    CHECKPOINT_NAMESPACE,
    RECEIPT_NAMESPACE,
    Verifier,
    fallback_counts,
    split_signature,
)
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

TZ = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=TZ)  # inside the certificates' window (2026–2028)
PAYLOAD = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor a <a@b> 1 +0800\n\nreport\n"


class Lab:
    """Keys, certificates and a configuration binding them to staff; a native and an oracle Verifier."""

    def __init__(self, root: Path) -> None:
        self.world = th.World(root / "world")
        self.dir = root / "lab"
        self.dir.mkdir()
        w = self.world
        self.keys = dict(w.keys)
        for name, args in {"wh-ecdsa256": ["-t", "ecdsa", "-b", "256"], "wh-ecdsa384": ["-t", "ecdsa", "-b", "384"],
                           "wh-ecdsa521": ["-t", "ecdsa", "-b", "521"], "wh-rsa": ["-t", "rsa", "-b", "2048"],
                           "cx-ecdsa": ["-t", "ecdsa", "-b", "384"], "gaj-ca": ["-t", "rsa", "-b", "2048"],
                           "dcq-ca": ["-t", "ed25519"], "xxk-ca": ["-t", "ecdsa", "-b", "256"],
                           "other-ca": ["-t", "ed25519"], "mj-dsa": ["-t", "dsa"]}.items():
            self.keys[name] = self.dir / name
            th.run(["ssh-keygen", "-q", *args, "-N", "", "-C", name, "-f", str(self.keys[name])])
        self.sk_ed = ed25519.Ed25519PrivateKey.generate()
        self.sk_ec = ec.generate_private_key(ec.SECP256R1())
        self.sk_ed_blob = sh.sk_ed25519(self.sk_ed, b"", b"git")[0]
        self.sk_ec_blob = sh.sk_ecdsa(self.sk_ec, b"", b"git")[0]
        doc = w.units_doc(
            wanghao={"keys": [w.pub("wanghao")] + [self.pub(k) for k in ("wh-ecdsa256", "wh-ecdsa384", "wh-ecdsa521",
                                                                          "wh-rsa")]},
            lijing={"valid_after": "2026-03-01T00:00:00+08:00", "valid_before": "2026-09-01T00:00:00+08:00"},
            liuzhenhua={"keys": [w.pub("liuzhenhua"), sh.public_line(self.sk_ed_blob), sh.public_line(self.sk_ec_blob)]},
            majun={"keys": [self.pub("mj-dsa")]},
            _revoked=[w.pub("liuyang"), self.pub("dcq-ca")])
        units = {u["code"]: u for u in doc["units"]}
        units["gaj"]["ca"] = self.pub("gaj-ca")
        units["dcq"]["ca"] = self.pub("dcq-ca")
        units["xxk"]["ca"] = self.pub("xxk-ca")
        self.doc = doc
        self.cfg = Config(units_doc=doc)
        self.native = Verifier(self.cfg)
        self.oracle = Verifier(self.cfg)
        self.oracle.in_process = False

    def pub(self, name: str) -> str:
        return Path(f"{self.keys[name]}.pub").read_text().strip()

    def cert(self, name: str, key: str, ca: str, principals: str | None, validity: str = "20260101:20280101",
             *options: str) -> Path:
        """A certificate for a copy of `key` named `name`; returns the path to sign with (…-cert.pub)."""
        target = self.dir / name
        shutil.copy(self.keys[key], target)
        shutil.copy(f"{self.keys[key]}.pub", f"{target}.pub")
        target.chmod(0o600)
        args = ["ssh-keygen", "-q", "-s", str(self.keys[ca]), "-I", name, "-V", validity, *options]
        if principals is not None:
            args += ["-n", principals]
        th.run([*args, f"{target}.pub"])
        return Path(f"{target}-cert.pub")

    def sign(self, key: str | Path, data: bytes = PAYLOAD, namespace: str = "git", *options: str) -> bytes:
        path = key if isinstance(key, Path) else self.keys[key]
        proc = th.run(["ssh-keygen", "-q", "-Y", "sign", "-f", str(path), "-n", namespace, *options], input=data)
        return proc.stdout

    def both(self, payload: bytes, sig: bytes | str, when: datetime | None = NOW, *, namespace: str = "git",
             claimed: datetime | None = None) -> tuple[tuple, tuple, int]:
        """(native verdict, oracle verdict, signatures the native verifier handed to ssh-keygen)."""
        sig = sig.encode() if isinstance(sig, str) else sig
        before = sum(self.native.fallbacks.values())
        a = self.native.verify_data(payload, sig, when, namespace=namespace, claimed=claimed, label="c")
        b = self.oracle.verify_data(payload, sig, when, namespace=namespace, claimed=claimed, label="c")
        return astuple(a), astuple(b), sum(self.native.fallbacks.values()) - before

    def close(self) -> None:
        self.native.close()
        self.oracle.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lab = Lab(tmp_path_factory.mktemp("sshsig"))
    yield lab
    lab.close()


def status(verdict: tuple) -> str:
    return verdict[1]


def test_each_key_type_and_certificate_verifies_in_process_as_ssh_keygen_does(lab):
    w = lab.world
    cases = {
        "ed25519": lab.sign("wanghao"),
        "ecdsa-nistp256": lab.sign("wh-ecdsa256"),
        "ecdsa-nistp384": lab.sign("wh-ecdsa384"),
        "ecdsa-nistp521": lab.sign("wh-ecdsa521"),
        "rsa-sha2-512": lab.sign("wh-rsa"),
        "hash sha256": lab.sign("wanghao", PAYLOAD, "git", "-O", "hashalg=sha256"),
        "ed25519 certificate, ed25519 CA": lab.sign(w.cert),
        "ecdsa certificate, ed25519 CA": lab.sign(lab.cert("cx-ecdsa-c", "cx-ecdsa", "xhq-ca", "chenxue@xhq")),
        "certificate, RSA CA (rsa-sha2-512)": lab.sign(lab.cert("mj-c", "majun", "gaj-ca", "majun@gaj")),
        "certificate, RSA CA (rsa-sha2-256)": lab.sign(lab.cert("mj-c256", "majun", "gaj-ca", "majun@gaj",
                                                                "20260101:20280101", "-t", "rsa-sha2-256")),
        # ssh-keygen accepts a SHA-1 CA signature on a certificate (it refuses SHA-1 only for the SSHSIG itself)
        "certificate, RSA CA (ssh-rsa, SHA-1)": lab.sign(lab.cert("mj-c1", "majun", "gaj-ca", "majun@gaj",
                                                                  "20260101:20280101", "-t", "ssh-rsa")),
        "certificate, ECDSA CA, two principals": lab.sign(lab.cert("wl-c", "wangli", "xxk-ca",
                                                                   "nobody@xxk,wangli@xxk")),
        # ssh-keygen -Y does not interpret critical options (it refuses them for host certificates only)
        "certificate with an unknown critical option": lab.sign(lab.cert(
            "cx-crit", "chenxue", "xhq-ca", "chenxue@xhq", "20260101:20280101", "-O", "critical:foo@example.com=bar")),
        "certificate with force-command": lab.sign(lab.cert(
            "cx-fc", "chenxue", "xhq-ca", "chenxue@xhq", "20260101:20280101", "-O", "force-command=/bin/true")),
    }
    for label, sig in cases.items():
        native, oracle, fallbacks = lab.both(PAYLOAD, sig)
        assert native == oracle, label
        assert status(native) == "good" and fallbacks == 0, (label, native, fallbacks)
    assert lab.both(PAYLOAD, cases["certificate, RSA CA (rsa-sha2-512)"])[0][2] == "majun@gaj"


def _mutations(armored: bytes, rng: random.Random) -> list[tuple[str, bytes, bytes]]:
    """(label, payload, signature) variants of one good signature over PAYLOAD."""
    blob = sshsig.dearmor(armored)
    b64 = sshsig.armor(blob).split("\n")[1:-2]
    rewrapped = "".join(b64)
    out: list[tuple[str, bytes, bytes]] = [
        ("unchanged", PAYLOAD, armored),
        ("base64 in lines of 64", PAYLOAD, ("-----BEGIN SSH SIGNATURE-----\n"
                                           + "\n".join(rewrapped[i:i + 64] for i in range(0, len(rewrapped), 64))
                                           + "\n-----END SSH SIGNATURE-----\n").encode()),
    ]
    positions = sorted(set(range(0, len(blob), max(1, len(blob) // 36))) | {len(blob) - 1})
    for pos in positions:
        flipped = bytearray(blob)
        flipped[pos] ^= 1 << rng.randrange(8)
        out.append((f"blob byte {pos}", PAYLOAD, sshsig.armor(bytes(flipped)).encode()))
    for pos in (0, 7, 50, len(PAYLOAD) - 1):
        payload = bytearray(PAYLOAD)
        payload[pos] ^= 0x20
        out.append((f"payload byte {pos}", bytes(payload), armored))
    text = armored.decode()
    body_start = text.index("\n") + 1
    body_end = text.index("\n-----END")
    for pos in [body_start + 3, body_end - 1, body_end - 2, body_end - 3, (body_start + body_end) // 2]:
        ch = text[pos]
        for repl in ("A", "B", "/", "=", "!", " "):
            if repl != ch:
                out.append((f"armour char {pos}->{repl!r}", PAYLOAD, (text[:pos] + repl + text[pos + 1:]).encode()))
                break
    out += [
        ("no END line", PAYLOAD, text[:body_end + 1].encode()),
        ("truncated in the body", PAYLOAD, text[:(body_start + body_end) // 2].encode()),
        ("truncated, END kept", PAYLOAD, (text[:body_start + 40] + text[body_end:]).encode()),
        ("a base64 line dropped", PAYLOAD, (text[:body_start] + text[body_start + 71:]).encode()),
        ("header damaged", PAYLOAD, text.replace("BEGIN SSH", "BEGIN SHH", 1).encode()),
        ("text after END", PAYLOAD, (text + "garbage\n").encode()),
        ("CRLF line ends", PAYLOAD, text.replace("\n", "\r\n").encode()),
        ("blob cut short", PAYLOAD, sshsig.armor(blob[:-7]).encode()),
        ("blob with a byte more", PAYLOAD, sshsig.armor(blob + b"\0").encode()),
    ]
    return out


def test_mutated_signatures_get_the_same_verdict_as_ssh_keygen(lab):
    rng = random.Random(11)
    bases = {
        "ed25519": lab.sign("wanghao"),
        "ecdsa-nistp384": lab.sign("wh-ecdsa384"),
        "rsa": lab.sign("wh-rsa"),
        "ed25519 certificate": lab.sign(lab.world.cert),
        "certificate, RSA CA": lab.sign(lab.cert("mj-m", "majun", "gaj-ca", "majun@gaj")),
    }
    mismatches, seen, native_judged, total = [], set(), 0, 0
    for base, armored in bases.items():
        for label, payload, sig in _mutations(armored, rng):
            native, oracle, fallbacks = lab.both(payload, sig)
            total += 1
            native_judged += fallbacks == 0
            seen.add(status(oracle))
            if native != oracle:
                mismatches.append((base, label, native, oracle))
    assert mismatches == []
    assert {"good", "bad", "unknown_key"} <= seen
    # Flips in a key's type name make a type no one knows: those go to ssh-keygen. The rest do not.
    assert native_judged >= 0.85 * total, (native_judged, total)


def test_namespace_other_key_and_receipt_signatures(lab):
    cases = [
        ("wrong namespace", PAYLOAD, lab.sign("wanghao", PAYLOAD, "file"), "git", "bad"),
        ("staff key signing a receipt", PAYLOAD, lab.sign("wanghao", PAYLOAD, RECEIPT_NAMESPACE), RECEIPT_NAMESPACE,
         "bad"),
        ("registry key signing a receipt", PAYLOAD, lab.sign("registry", PAYLOAD, RECEIPT_NAMESPACE),
         RECEIPT_NAMESPACE, "good"),
        ("registry key, checkpoint namespace", PAYLOAD, lab.sign("registry", PAYLOAD, CHECKPOINT_NAMESPACE),
         CHECKPOINT_NAMESPACE, "good"),
        ("registry key signing a commit", PAYLOAD, lab.sign("registry"), "git", "bad"),
        ("receipt signature read as a checkpoint", PAYLOAD, lab.sign("registry", PAYLOAD, RECEIPT_NAMESPACE),
         CHECKPOINT_NAMESPACE, "bad"),
        ("outsider key", PAYLOAD, lab.sign("outsider"), "git", "unknown_key"),
        ("another staff member's key", PAYLOAD, lab.sign("lijing"), "git", "good"),
        ("certificate from an unregistered CA", PAYLOAD,
         lab.sign(lab.cert("cx-other", "chenxue", "other-ca", "chenxue@xhq")), "git", "unknown_key"),
    ]
    for label, payload, sig, ns, want in cases:
        native, oracle, fallbacks = lab.both(payload, sig, datetime(2026, 5, 1, tzinfo=TZ), namespace=ns)
        assert native == oracle, label
        assert (status(native), fallbacks) == (want, 0), (label, native)


def test_time_windows_certificates_and_revocation(lab):
    inside, after, before = (datetime(2026, 5, 1, tzinfo=TZ), datetime(2026, 10, 1, tzinfo=TZ),
                             datetime(2026, 2, 1, tzinfo=TZ))
    lijing = lab.sign("lijing")
    expired_cert = lab.sign(lab.cert("cx-old", "chenxue", "xhq-ca", "chenxue@xhq", "20200101:20210101"))
    future_cert = lab.sign(lab.cert("cx-new", "chenxue", "xhq-ca", "chenxue@xhq", "20300101:20310101"))
    cases = [
        ("staff window: inside", lijing, inside, None, "good"),
        ("staff window: after valid_before", lijing, after, None, "expired"),
        ("staff window: before valid_after", lijing, before, None, "expired"),
        ("staff window: after, back-dated claim", lijing, after, inside, "expired"),
        ("expired certificate", expired_cert, NOW, None, "unknown_key"),
        ("expired certificate, claimed inside its window", expired_cert, NOW,
         datetime(2020, 6, 1, tzinfo=TZ), "expired"),
        ("certificate not yet valid, claimed inside its window", future_cert, NOW,
         datetime(2030, 6, 1, tzinfo=TZ), "expired"),
        ("certificate for another principal", lab.sign(lab.cert("cx-np", "chenxue", "xhq-ca", "nobody@xhq")), NOW,
         None, "unknown_key"),
        ("certificate without principals", lab.sign(lab.cert("cx-none", "chenxue", "xhq-ca", None)), NOW, None,
         "unknown_key"),
        ("host certificate", lab.sign(lab.cert("cx-host", "chenxue", "xhq-ca", "chenxue@xhq", "20260101:20280101",
                                               "-h")), NOW, None, "unknown_key"),
        ("certificate of another unit's principal", lab.sign(lab.cert("cx-gaj", "chenxue", "xhq-ca", "wanghao@gaj")),
         NOW, None, "unknown_key"),
        ("revoked key", lab.sign("liuyang"), NOW, None, "revoked"),
        ("certificate of a revoked key", lab.sign(lab.cert("ly-c", "liuyang", "xxk-ca", "liuyang@xxk")), NOW, None,
         "revoked"),
        ("certificate from a revoked CA", lab.sign(lab.cert("lj-c", "lijing", "dcq-ca", "lijing@dcq")), inside,
         None, "revoked"),
        ("no verify time (the clock)", lab.sign(lab.world.cert), None, None, "good"),
    ]
    for label, sig, when, claimed, want in cases:
        native, oracle, fallbacks = lab.both(PAYLOAD, sig, when, claimed=claimed)
        assert native == oracle, label
        assert (status(native), fallbacks) == (want, 0), (label, native)


def test_encodings_only_openssh_decides(lab):
    """Shapes ssh-keygen's own reading accepts or refuses; the in-process path must agree."""
    ed_priv = sh_load(lab.keys["wanghao"])
    rsa_priv = sh_load(lab.keys["wh-rsa"])
    ed = lab.sign("wanghao")
    malleated = None
    for i in range(40):  # S + L stays below 2^253 for about half of all signatures
        data = PAYLOAD + b"%d" % i
        candidate = sh.malleate_ed25519(lab.sign("wanghao", data))
        if candidate:
            malleated = (data, candidate)
            break
    short_rsa = None
    for i in range(3000):  # an RSA signature with a leading zero byte, sent without it
        data = PAYLOAD + b"%d" % i
        key, ns, _, hashalg, sig = sh.fields(lab.sign("wh-rsa", data))
        inner = sig[4 + 12 + 4:]
        if inner[0] == 0:
            short = sh.assemble(key, ns, sig[:4 + 12] + sshsig.sshstr(inner[1:]), hashalg=hashalg)
            short_rsa = (data, short)
            break
    key, ns, _, hashalg, sig = sh.fields(ed)
    cases = [
        ("SSHSIG version 0", PAYLOAD, sh.assemble(key, ns, sig, version=0), "good"),
        ("SSHSIG version 2", PAYLOAD, sh.assemble(key, ns, sig, version=2), "bad"),
        ("reserved field not empty", PAYLOAD, sh.assemble(key, ns, sig, reserved=b"x"), "good"),
        ("namespace with a final NUL", PAYLOAD, sh.assemble(key, b"git\0", sig), "good"),
        ("namespace with an inner NUL", PAYLOAD, sh.assemble(key, b"g\0t", sig), "bad"),
        ("trailing data", PAYLOAD, sh.assemble(key, ns, sig, trailer=b"\0\0\0\0"), "bad"),
        ("hash sha1", PAYLOAD, sh.ed25519_sig(ed_priv, PAYLOAD, b"git", hashalg=b"sha1"), "bad"),
        ("hash SHA512 in capitals", PAYLOAD, sh.ed25519_sig(ed_priv, PAYLOAD, b"git", hashalg=b"SHA512"), "bad"),
        ("key type alias ED25519", PAYLOAD, sh.ed25519_sig(ed_priv, PAYLOAD, b"git", key_name=b"ED25519"), "good"),
        ("key type alias ed25519-cert", PAYLOAD,
         sh.ed25519_sig(ed_priv, PAYLOAD, b"git", key_name=b"ssh-ed25519-cert-v01@openssh.com"), "unknown_key"),
        ("RSA signed with ssh-rsa (SHA-1)", PAYLOAD, sh.rsa_sig(rsa_priv, PAYLOAD, b"git", b"ssh-rsa"), "bad"),
        ("RSA rsa-sha2-256", PAYLOAD, sh.rsa_sig(rsa_priv, PAYLOAD, b"git", b"rsa-sha2-256"), "good"),
        ("RSA key named rsa-sha2-256", PAYLOAD,
         sh.rsa_sig(rsa_priv, PAYLOAD, b"git", b"rsa-sha2-512", key_name=b"rsa-sha2-256"), "good"),
        ("RSA key named RSA", PAYLOAD, sh.rsa_sig(rsa_priv, PAYLOAD, b"git", b"rsa-sha2-512", key_name=b"RSA"), "good"),
        ("ECDSA r with a superfluous zero byte", PAYLOAD, sh.nonminimal_ecdsa(lab.sign("wh-ecdsa256")), "good"),
        ("ECDSA key named ECDSA", PAYLOAD, _renamed_key(lab.sign("wh-ecdsa256"), b"ECDSA"), "unknown_key"),
    ]
    if malleated:
        cases.append(("Ed25519 S + L (OpenSSH reduces S)", malleated[0], malleated[1], "good"))
    if short_rsa:
        cases.append(("RSA signature one byte short (OpenSSH pads it)", short_rsa[0], short_rsa[1], "good"))
    assert malleated and short_rsa
    for label, payload, sig, want in cases:
        native, oracle, fallbacks = lab.both(payload, sig)
        assert native == oracle, label
        assert status(native) == want, (label, native)
        assert fallbacks == 0, label


def test_libsodium_fast_path_refusals_are_decided_as_openssh_does(tmp_path):
    """libsodium (the fast path for good Ed25519 signatures) is stricter than OpenSSH: it refuses
    small-order points and a non-canonical S, which OpenSSH's reference code accepts. Such a signature
    must still get OpenSSH's verdict (here: good), from the OpenSSL path behind the fast one."""
    identity = b"\x01" + bytes(31)  # the neutral point: order 1, so R = [S]B - [h]A holds for S = 0
    key = sshsig.sshstr(b"ssh-ed25519") + sshsig.sshstr(identity)
    world = th.World(tmp_path / "world")
    doc = world.units_doc(wanghao={"keys": [sh.public_line(key)]})
    native = Verifier(Config(units_doc=doc))
    oracle = Verifier(Config(units_doc=doc))
    oracle.in_process = False
    weak = sh.assemble(key, b"git", sshsig.sshstr(b"ssh-ed25519") + sshsig.sshstr(identity + bytes(32))).encode()
    from nacl.bindings import crypto_sign_open
    from nacl.exceptions import BadSignatureError

    with pytest.raises(BadSignatureError):  # libsodium refuses it ...
        crypto_sign_open(identity + bytes(32) + sh.signed_data(PAYLOAD, b"git"), identity)
    try:
        a = native.verify_data(PAYLOAD, weak, NOW, namespace="git", label="c")
        b = oracle.verify_data(PAYLOAD, weak, NOW, namespace="git", label="c")
    finally:
        native.close()
        oracle.close()
    assert astuple(a) == astuple(b)  # ... and the verdict is still OpenSSH's
    assert (a.status, a.principal) == ("good", "wanghao@gaj")
    assert sum(native.fallbacks.values()) == 0


def test_the_fast_path_changes_no_verdict_of_the_corpus(lab, monkeypatch):
    """Every mutation of the corpus, with and without libsodium in front: the same verdicts."""
    from baosong import sshkey

    sigs = [lab.sign("wanghao"), lab.sign("wanghao", PAYLOAD, "file"), lab.sign("lijing"), lab.sign("outsider")]
    rng = random.Random(7)
    for _ in range(40):
        raw = bytearray(sshsig.dearmor(sigs[0]))
        raw[rng.randrange(len(raw) - 64, len(raw))] ^= 1 << rng.randrange(8)
        sigs.append(sshsig.armor(bytes(raw)).encode())
    fast = [astuple(lab.native.verify_data(PAYLOAD, s, NOW, namespace="git", label="c")) for s in sigs]
    monkeypatch.setattr(sshkey, "SODIUM", False)
    slow = [astuple(lab.native.verify_data(PAYLOAD, s, NOW, namespace="git", label="c")) for s in sigs]
    assert fast == slow
    assert {v[1] for v in fast} >= {"good", "bad", "unknown_key"}


def test_key_types_not_handled_in_process_go_to_ssh_keygen_counted(lab):
    sk_ed = sh.sk_ed25519(lab.sk_ed, PAYLOAD, b"git")[1]
    sk_ec = sh.sk_ecdsa(lab.sk_ec, PAYLOAD, b"git")[1]
    stranger = sh.sk_ed25519(ed25519.Ed25519PrivateKey.generate(), PAYLOAD, b"git")[1]
    unknown = _renamed_key(lab.sign("wanghao"), b"ssh-ed448")
    cases = [
        ("registered sk-ssh-ed25519 key", sk_ed, "good", "sk-ssh-ed25519@openssh.com"),
        ("registered sk-ecdsa key", sk_ec, "good", "sk-ecdsa-sha2-nistp256@openssh.com"),
        ("sk key, payload altered", sk_ed, "bad", "sk-ssh-ed25519@openssh.com"),
        ("registered DSA key", lab.sign("mj-dsa"), "good", "ssh-dss"),
        # Under OpenSSH's short type name the blob differs from the registered one: the line is found
        # in-process, the signature then checked by ssh-keygen.
        ("registered sk key under its short name", _renamed_key(sk_ed.encode(), b"ED25519-SK"), "good",
         "sk-ssh-ed25519@openssh.com"),
        ("unknown key type", unknown, "unknown_key", "ssh-ed448"),
        # An FIDO key no line names is found unknown in-process: no signature needs checking.
        ("unregistered sk key", stranger, "unknown_key", None),
    ]
    for label, sig, want, named in cases:
        payload = PAYLOAD + b"x" if "altered" in label else PAYLOAD
        before = dict(lab.native.fallbacks)
        native, oracle, fallbacks = lab.both(payload, sig)
        assert native == oracle, label
        assert status(native) == want, (label, native)
        assert fallbacks == (1 if named else 0), label
        grown = [r for r, n in lab.native.fallbacks.items() if n > before.get(r, 0)]
        assert grown == ([] if named is None else grown) and all(named in r for r in grown), (label, grown)
    assert any("sk-ssh-ed25519" in r for r in fallback_counts())  # the process-wide tally the commands print


def test_worker_processes_report_their_ssh_keygen_fallbacks(lab, monkeypatch):
    monkeypatch.setattr(signatures, "PARALLEL_MIN_SIGNATURES", 3)
    monkeypatch.setattr(signatures, "_CHUNK", 2)
    monkeypatch.setattr(signatures, "_idle_cpus", lambda: 2.0)
    sigs = [lab.sign("wanghao")] * 5 + [sh.sk_ed25519(lab.sk_ed, PAYLOAD, b"git")[1].encode()] * 2
    before = sum(fallback_counts().values())
    with Verifier(lab.cfg) as v:
        results = v.map(lambda sig: v.verify_data(PAYLOAD, sig, NOW, namespace="git").status, sigs)
        assert results == ["good"] * 7
        assert sum(v.fallbacks.values()) == 2
    assert sum(fallback_counts().values()) - before == 2
    # A busy machine (no core left idle by the load average): no workers, whatever the batch.
    monkeypatch.setattr(signatures, "_idle_cpus", lambda: 0.4)
    assert signatures._workers(10_000) == 1


def test_configurations_the_in_process_path_does_not_read_fall_back_whole(lab):
    w = lab.world
    sig = lab.sign("wanghao")
    # A DSA key in revoked_keys: the revoked-keys list is not read in-process, so every signature goes
    # to ssh-keygen (and still gets its verdict).
    cfg = Config(units_doc=w.units_doc(_revoked=[lab.pub("mj-dsa")]))
    with Verifier(cfg) as native:
        r = native.verify_data(PAYLOAD, sig, NOW, namespace="git", label="c")
        assert r.status == "good" and sum(native.fallbacks.values()) == 1
    # A revoked-keys line ssh-keygen cannot read makes its revocation check fail for every key:
    # then the signature is good without the list, so "revoked". Both paths say so.
    # A staff window whose end precedes its start is a line ssh-keygen ignores: the registered key's
    # signature does not verify under any line, so "bad".
    for doc, want in ((w.units_doc(_revoked=["ssh-ed25519"]), "revoked"),
                      (w.units_doc(wanghao={"valid_after": "2026-06-01T00:00:00+08:00",
                                            "valid_before": "2026-05-01T00:00:00+08:00"}), "bad")):
        cfg = Config(units_doc=doc)
        with Verifier(cfg) as native, Verifier(cfg) as oracle:
            oracle.in_process = False
            a = native.verify_data(PAYLOAD, sig, NOW, namespace="git", label="c")
            b = oracle.verify_data(PAYLOAD, sig, NOW, namespace="git", label="c")
            assert astuple(a) == astuple(b) and a.status == want and not native.fallbacks


def test_every_commit_receipt_and_checkpoint_of_a_demo_registry(tmp_path, monkeypatch):
    out = tmp_path / "demo"
    th.run([th.BAOSONG, "demo", "--out", str(out), "--reports", "60", "--seed", "4"])
    cfg = load_config(GitTree(out, "HEAD"))
    commits = th.run(["git", "rev-list", "--all"], cwd=out).stdout.decode().split()
    rows = th.run(["git", "log", "--all", "--format=%H %cI"], cwd=out).stdout.decode().split("\n")
    times = {c: datetime.fromisoformat(t) for c, t in (r.split() for r in rows if r)}
    items = [(c, times[c], None) for c in commits] + [(c, NOW, times[c]) for c in commits[::3]]
    with Verifier(cfg) as native, Verifier(cfg) as oracle:
        oracle.in_process = False
        verdicts = []
        for batch in (items[:len(commits)], items[len(commits):]):
            a = native.verify_commits(out, batch)
            b = oracle.verify_commits(out, batch)
            assert {c: astuple(r) for c, r in a.items()} == {c: astuple(r) for c, r in b.items()}
            verdicts.append({c: astuple(r) for c, r in b.items()})
        # The same in forked worker processes (a large registry on a machine with a free core).
        monkeypatch.setattr(signatures, "PARALLEL_MIN_SIGNATURES", 20)
        monkeypatch.setattr(signatures, "_CHUNK", 17)
        monkeypatch.setattr(signatures, "_idle_cpus", lambda: 2.0)
        with Verifier(cfg) as forked:
            assert signatures._workers(len(commits)) == 2
            c = forked.verify_commits(out, items[:len(commits)])
        assert {k: astuple(r) for k, r in c.items()} == verdicts[0]
        monkeypatch.undo()
        statuses = {r.status for r in native.verify_commits(out, items[:len(commits)]).values()}
        assert statuses == {"good", "unsigned"}  # the receipts store's own commits are not signed
        tip = th.run(["git", "rev-parse", RECEIPTS_REF], cwd=out).stdout.decode().strip()
        files = th.run(["git", "ls-tree", "-r", "--name-only", tip, "receipts"], cwd=out).stdout.decode().split()
        receipts = [f for f in files if f.endswith(".json")]
        assert len(receipts) == 60
        for path in receipts:
            raw = th.run(["git", "show", f"{tip}:{path}"], cwd=out).stdout
            sig = th.run(["git", "show", f"{tip}:{path}.sig"], cwd=out).stdout
            a = verify_record(native, raw, sig, RECEIPT_NAMESPACE, path)
            b = verify_record(oracle, raw, sig, RECEIPT_NAMESPACE, path)
            assert astuple(a) == astuple(b) and a.status == "good"
            c = verify_record(native, raw + b" ", sig, RECEIPT_NAMESPACE, path)
            assert astuple(c) == astuple(verify_record(oracle, raw + b" ", sig, RECEIPT_NAMESPACE, path))
            assert c.status == "bad"
        checkpoints = read_checkpoints(out)
        # One checkpoint per store commit (a push, or one catch-up run after the demo's outage).
        store_commits = int(th.run(["git", "rev-list", "--count", RECEIPTS_REF], cwd=out).stdout)
        assert len(checkpoints) == store_commits and 1 < store_commits <= 60
        for cp in checkpoints:
            a = verify_record(native, cp.raw, cp.sig, CHECKPOINT_NAMESPACE, cp.commit)
            b = verify_record(oracle, cp.raw, cp.sig, CHECKPOINT_NAMESPACE, cp.commit)
            assert astuple(a) == astuple(b) and a.status == "good"
        assert not native.fallbacks


def test_register_verdicts_unsigned_and_wrong_unit_either_way(tmp_path, monkeypatch):
    world = th.World(tmp_path / "world")
    reg = world.registry(tmp_path / "r")
    T = "2026-11-25T10:30:00+08:00"
    for n, (unit, author, head, signer) in enumerate([("gaj", "wanghao", "liuzhenhua", "wanghao"),
                                                      ("gaj", "wanghao", "liuzhenhua", "lijing"),
                                                      ("dcq", "lijing", "sunweidong", None),
                                                      ("xhq", "chenxue", "xuguoqiang", "chenxue-cert"),
                                                      ("dcq", "lijing", "sunweidong", "outsider")], start=1):
        path, text = th.info(unit, author, head, n=n)
        reg.add_report(path, text, signer=signer, date=T)
    native = {p: (a.signature, a.signer, a.key) for p, a in read_arrivals(reg.root, use_cache=False).items()}
    monkeypatch.setattr(Verifier, "in_process", False)
    oracle = {p: (a.signature, a.signer, a.key) for p, a in read_arrivals(reg.root, use_cache=False).items()}
    assert native == oracle
    assert sorted(s for s, _, _ in native.values()) == ["good", "good", "unknown_key", "unsigned", "wrong_unit"]


def test_a_fido_signed_commit_is_verified_by_ssh_keygen_and_the_output_says_so(tmp_path):
    world = th.World(tmp_path / "world")
    fido = ed25519.Ed25519PrivateKey.generate()
    blob = sh.sk_ed25519(fido, b"", b"git")[0]
    units = world.units_doc(wanghao={"keys": [world.pub("wanghao"), sh.public_line(blob)]})
    reg = world.registry(tmp_path / "r", units)
    reg.branch("pr")
    path, text = th.emergency("gaj", "wanghao", "liuzhenhua")
    reg.write(path, text)
    reg.git("add", path)
    tree = reg.git("write-tree")
    ident = "测试 <test@baosong.invalid> 1795573200 +0800"
    head = f"tree {tree}\nparent {reg.head()}\nauthor {ident}\ncommitter {ident}\n"
    message = "add report (signed with a FIDO key)\n"
    armored = sh.sk_ed25519(fido, (head + "\n" + message).encode(), b"git")[1]
    raw = head + "gpgsig " + armored.rstrip("\n").replace("\n", "\n ") + "\n\n" + message
    commit = reg.git("hash-object", "-t", "commit", "-w", "--stdin", input=raw.encode())
    reg.git("update-ref", "HEAD", commit)
    assert split_signature(raw.encode())[0] == armored.encode()
    proc = reg.baosong("check", "--base", "main", "--now", "2026-11-25T11:00:00+08:00", "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout) == []
    assert "ssh-keygen" in proc.stderr and "sk-ssh-ed25519@openssh.com：1 个" in proc.stderr, proc.stderr
    # An ordinary change says nothing of the kind.
    reg.checkout("main")
    reg.git("merge", "-q", "--ff-only", "pr")
    reg.branch("pr2")
    path2, text2 = th.info("gaj", "wanghao", "liuzhenhua", n=2)
    reg.add_report(path2, text2, signer="wanghao", date="2026-11-25T10:50:00+08:00")
    proc = reg.baosong("check", "--base", "main", "--now", "2026-11-25T11:00:00+08:00")
    assert proc.returncode == 0 and "ssh-keygen" not in proc.stderr, proc.stderr
    proc = reg.baosong("registry", "--format", "json", "--no-cache", "--now", "2026-11-26T11:00:00+08:00")
    assert proc.returncode == 0 and "sk-ssh-ed25519@openssh.com：1 个" in proc.stderr, proc.stderr
    signatures = {r["path"]: r["signature"] for r in json.loads(proc.stdout)["reports"]}
    assert signatures == {path: "good", path2: "good"}


# ---------------------------------------------------------------------------------------------


def sh_load(path: Path):
    from cryptography.hazmat.primitives import serialization

    return serialization.load_ssh_private_key(path.read_bytes(), password=None)


def _renamed_key(armored: bytes, name: bytes) -> bytes:
    """The signature with its key blob's type name replaced (the rest of the key unchanged)."""
    key, ns, _, hashalg, sig = sh.fields(armored)
    n = int.from_bytes(key[:4], "big")
    return sh.assemble(sshsig.sshstr(name) + key[4 + n:], ns, sig, hashalg=hashalg).encode()


def test_signing_in_process_matches_ssh_keygen(lab, tmp_path):
    from baosong.signatures import sign

    data = b'{"kind":"receipt"}\n'
    key = tmp_path / "registry"
    shutil.copy(lab.keys["registry"], key)
    key.chmod(0o600)
    ours = sign(data, key, RECEIPT_NAMESPACE)
    theirs = lab.sign("registry", data, RECEIPT_NAMESPACE)
    assert ours == theirs  # Ed25519 is deterministic: the very same bytes
    for name in ("wh-ecdsa521", "wh-rsa"):
        shutil.copy(lab.keys[name], tmp_path / name)
        (tmp_path / name).chmod(0o600)
        sig = sign(data, tmp_path / name, RECEIPT_NAMESPACE)
        assert _check_with_file(tmp_path, sig, data), name
        assert not _check_with_file(tmp_path, sig, data + b" "), name
    # A key ssh-keygen would refuse (readable by others) is left to ssh-keygen, which refuses it.
    loose = tmp_path / "loose"
    shutil.copy(lab.keys["registry"], loose)
    loose.chmod(0o644)
    assert sshsig.load_signing_key(loose) is None
    with pytest.raises(OSError):
        sign(data, loose, RECEIPT_NAMESPACE)


def _check_with_file(tmp_path: Path, sig: bytes, data: bytes) -> bool:
    (tmp_path / "s.sig").write_bytes(sig)
    proc = subprocess.run(["ssh-keygen", "-Y", "check-novalidate", "-n", RECEIPT_NAMESPACE, "-s",
                           str(tmp_path / "s.sig")], input=data, capture_output=True)
    return proc.returncode == 0
