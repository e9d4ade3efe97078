"""The registry's receipt service over the demo's year, replayed in bulk into the demo's pack.

The same records as `baosong receive` and the push hook write (`baosong.receipts`' builders and
`canonical`), produced in bulk: `receive` forks git and ssh-keygen a dozen times per run, which at one
run per push would take hours for a large demo.
"""

from __future__ import annotations

import bisect
import hashlib
import random
from datetime import datetime, timedelta

from baosong import receipts as store
from baosong.config import Config
from baosong.demo.pack import OBJ_BLOB, OBJ_COMMIT, Pack, Trees, ident
from baosong.demo.timeline import Submission
from baosong.signatures import CHECKPOINT_NAMESPACE, RECEIPT_NAMESPACE, fingerprint
from baosong.sshsig import SshKey
from baosong.timeutil import iso

# (submission, its blob, the officer's branch commit, the merge commit into main)
Written = tuple[Submission, str, str, str]


class ReceiptService:
    """The registry's receipt service over the year: the server hook receipts each pushed report blob
    at its push (`via: push`, naming the pushed ref), one receipt and one checkpoint per push; the
    post-merge job receipts what has no receipt (`via: receive`): after the merge, or — for what was
    merged during the outage, when neither ran — in one catch-up run when the service is back. (The
    real `receive` also writes a checkpoint whenever main moved; here the job writes one only when it
    adds receipts, which keeps a 50,000-report store half the size.)
    """

    def __init__(self, pack: Pack, cfg: Config, keys: dict[str, SshKey], registry_key: SshKey, seed: int) -> None:
        self.pack, self.cfg, self.keys, self.key = pack, cfg, keys, registry_key
        self.trees = Trees(pack)
        self.principal = (cfg.units_doc.get("registry") or {}).get("principal")
        self.latency = random.Random(seed)
        self.previous: str | None = None
        self.last_run: datetime | None = None
        self.tip: str | None = None
        self.sequence = 0
        self.accepted = 0

    def replay(self, written: list[Written], mains: list[tuple[datetime, str]],
               outage: tuple[datetime, datetime]) -> None:
        """Every run of the hook and the job, in time order."""
        runs: list[tuple[datetime, int, list[Written], str]] = []
        catch_up = []
        for item in written:
            sub = item[0]
            assert sub.merged is not None
            if not outage[0] <= sub.arrival < outage[1]:
                runs.append((sub.arrival, len(runs), [item], "push"))
            elif sub.merged < outage[1]:
                catch_up.append(item)
            else:  # pushed while the service was down, merged after: the job receipts it after the merge
                runs.append((sub.merged + timedelta(seconds=self.latency.randint(3, 40)), len(runs), [item], "receive"))
        if catch_up:
            runs.append((outage[1], len(runs), catch_up, "receive"))
        times = [t for t, _ in mains]
        for when, _, items, via in sorted(runs, key=lambda r: (r[0], r[1])):
            main_tip = mains[bisect.bisect_right(times, when) - 1][1]
            self.run(when, main_tip, items, via)

    def run(self, now: datetime, main_tip: str, items: list[Written], via: str) -> None:
        """One run of the hook (via "push", one item) or of the post-merge job (via "receive")."""
        self.sequence += 1
        self.last_run = now
        when = iso(now)
        files: dict[str, bytes] = {}
        added = []
        for sub, blob, commit, merge in items:
            record = store.receipt_record(
                path=sub.path, blob=blob, commit=commit, main_commit=main_tip if via == "push" else merge,
                signer=sub.author, principal=self.cfg.staff[sub.author]["principal"],
                key=fingerprint(self.keys[sub.author].blob), signature="good", received_at=when,
                registry=self.principal, via=via, ref=self.ref(sub) if via == "push" else None)
            data = store.canonical(record)
            files[store.receipt_path(blob)] = data
            files[store.receipt_path(blob, ".json.sig")] = self.key.sign(data, RECEIPT_NAMESPACE.encode()).encode()
            added.append(store.checkpoint_entry(sub.path, blob, data, when))
        self.accepted += len(added)
        checkpoint = store.checkpoint_record(
            sequence=self.sequence, previous=self.previous, main_commit=main_tip, created_at=when,
            registry=self.principal, added=sorted(added), accepted_count=self.accepted, via=via,
            refs=sorted(self.ref(item[0]) for item in items) if via == "push" else None)
        raw = store.canonical(checkpoint)
        self.previous = hashlib.sha256(raw).hexdigest()
        files[store.CHECKPOINT_FILE] = raw
        files[store.CHECKPOINT_FILE + ".sig"] = self.key.sign(raw, CHECKPOINT_NAMESPACE.encode()).encode()
        for name, content in files.items():
            self.trees.set(name, self.pack.add(OBJ_BLOB, content)[0])
        who = ident("baosong registry", "registry@baosong.invalid", now)
        parents = f"parent {self.tip}\n" if self.tip else ""
        obj = (f"tree {self.trees.flush()}\n{parents}author {who}\ncommitter {who}\n\n"
               f"{via}: {len(added)} receipt(s), checkpoint {self.sequence} at {main_tip[:10]}\n").encode()
        self.tip, _ = self.pack.add(OBJ_COMMIT, obj)

    @staticmethod
    def ref(sub: Submission) -> str:
        """The branch the officer pushed the report to."""
        return f"refs/heads/report/{sub.id}"
