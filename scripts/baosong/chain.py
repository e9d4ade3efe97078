"""`baosong verify --chain REPORT_ID --lower DIR…`: a forwarded report's chain walked through every
level whose registry checkout is given.

`forward.verify_chain` verifies the links it can with the keys of one registry: the report's own link
(the origin's receipt against the keys this registry lists for the forwarding unit). A deeper link — the
origin is itself a forward, its receipt signed by a registry two levels down — needs the keys the
registry in between lists; this registry has no business trusting them. Here that deeper link is
verified where it lives: in the lower registry's checkout, whose `main` must still hold the origin at the
blob the upper link verified (else `chain-origin-not-held`), with `verify_chain` run there. Repeated
until the first origin, or a level whose checkout was not given.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from baosong.config import load_config
from baosong.forward import ChainLink, ForwardError, registry_id, verify_chain
from baosong.gitrepo import GitTree, read_objects
from baosong.problems import Problem
from baosong.sources import blob_id, object_format_of


def lower_registries(dirs: list[Path]) -> dict[str, Path]:
    """registry.id -> checkout, for the lower registries given on the command line."""
    out: dict[str, Path] = {}
    for d in dirs:
        cfg = load_config(GitTree(d, "HEAD"))
        rid = registry_id(cfg)
        if rid is None:
            raise ForwardError(f"{d} 的 config/units.yaml 没有 registry.id，无法判断它是哪个下级登记库。")
        if rid in out:
            raise ForwardError(f"--lower 给了两个登记库标识同为“{rid}”的目录：{out[rid]} 和 {d}。")
        out[rid] = d
    return out


@dataclass
class Walk:
    links: list[ChainLink]
    held: set[int] = field(default_factory=set)  # levels found unchanged on their own registry's main
    problems: list[Problem] = field(default_factory=list)


def walk_chain(repo: Path, report_id: str, rev: str = "HEAD", lower: list[Path] | None = None) -> Walk:
    """The chain from `report_id` down, each link verified in the registry that holds its keys."""
    below = lower_registries(lower or [])
    chain = verify_chain(repo, report_id, rev)
    problems: list[Problem] = []
    held: set[int] = set()
    seen = {registry_id(load_config(GitTree(repo, rev)))}
    while len(chain) > 1 and chain[-1].registry in below:
        last, above = chain[-1], chain[-2]
        if last.registry in seen:  # a registry that forwarded to itself further up: stop, do not loop
            break
        seen.add(last.registry)
        checkout = below[str(last.registry)]
        spec = f"HEAD:{last.path}"
        data = read_objects(checkout, [spec])[spec]
        verified_blob = above.link.blob if above.link is not None else None
        held_blob = None if data is None else blob_id(data, object_format_of(str(verified_blob)))
        if held_blob is None or held_blob != verified_blob:
            found = "没有这份报告" if held_blob is None else f"中的这份报告是 blob {held_blob[:12]}"
            problems.append(Problem(above.path, 1, 1, "forwarded_from.blob", "chain-origin-not-held",
                                    f"来源 {last.id} 在 {last.registry} 登记库（{checkout}）的主分支上{found}，"
                                    f"与转报时核验的 blob {str(verified_blob)[:12]} 不符：下级登记库的原报告被改动或删除，"
                                    "或给的不是该登记库的检出目录。", "error"))
            break
        held.add(last.level)
        if not last.origin_forwarded:  # the first origin, still held where it was filed
            break
        deeper = verify_chain(checkout, last.id, "HEAD")
        for link in deeper:
            link.level += last.level
        chain = chain[:-1] + deeper
    return Walk(chain, held, problems)
