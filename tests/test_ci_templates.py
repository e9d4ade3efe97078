"""The CI templates: valid for their platforms, every `baosong` command they call exists with those
options, and their jobs really run — a small runner plays GitLab and Gitea/Forgejo against a temporary
registry with signed commits, a bare `origin`, a good and a bad pull request, receipts and the portal."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
import trust_helpers as th
import yaml
from baosong.cli import build_parser
from workflow_helpers import BIN, REPO

GITLAB = REPO / "ci-templates/gitlab-ci.yml"
GITEA = REPO / "ci-templates/gitea-actions.yml"
GITLAB_KEYWORDS = {"variables", "workflow", "stages", "default", "include", "image", "services", "cache",
                   "before_script", "after_script"}
SERVER = "https://gitea.test"
PROJECT = "office/registry"


def gitlab() -> dict:
    return yaml.safe_load(GITLAB.read_text(encoding="utf-8"))


def gitea() -> dict:
    data = yaml.safe_load(GITEA.read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as true
    return data


def gitlab_jobs(ci: dict) -> dict[str, dict]:
    return {k: v for k, v in ci.items() if k not in GITLAB_KEYWORDS and not k.startswith(".")}


def gitlab_script(ci: dict, job: dict) -> list[str]:
    base = ci.get(job.get("extends", ""), {})
    return [*job.get("before_script", base.get("before_script", [])), *job["script"]]


def shell_texts() -> list[str]:
    ci = gitlab()
    texts = [line for job in gitlab_jobs(ci).values() for line in gitlab_script(ci, job)]
    texts += [step["run"] for job in gitea()["jobs"].values() for step in job["steps"] if "run" in step]
    return texts


def baosong_commands() -> list[list[str]]:
    """Every `baosong ...` command line in the templates, variables replaced by sample values."""
    out = []
    for text in shell_texts():
        for line in text.splitlines():
            line = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", r"sample-\1", line.strip())
            if re.match(r"(?:if .*then )?baosong\b", line):
                words = shlex.split(line)
                out.append(words[words.index("baosong") + 1:])
    return out


# --- static ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "schema"), [(GITLAB, "vendor.gitlab-ci"), (GITEA, "vendor.github-workflows")])
def test_templates_validate_against_their_platform_schemas(path: Path, schema: str, tmp_path: Path) -> None:
    check = [str(BIN / "check-jsonschema"), "--builtin-schema", schema]
    result = subprocess.run([*check, str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / path.name  # the validator does catch a misspelt key
    broken.write_text(path.read_text(encoding="utf-8").replace("script:", "scripts:").replace("steps:", "step:"),
                      encoding="utf-8")
    assert subprocess.run([*check, str(broken)], capture_output=True).returncode != 0


def test_gitlab_structure() -> None:
    ci = gitlab()
    jobs = gitlab_jobs(ci)
    assert ci["variables"]["GIT_DEPTH"] == "0"  # full history, never a shallow clone
    for name, job in jobs.items():
        assert job["stage"] in ci["stages"], name
        assert gitlab_script(ci, job), name
    assert jobs["pages"]["artifacts"]["paths"] == ["public"]


def test_receipts_are_the_servers_not_ci() -> None:
    """Receipts are written by the registry server's hooks with a key that never leaves the server; the
    guard refuses pushes to refs/baosong/*. So no template signs receipts, pushes the store, or asks
    for the registry key; they verify the receipts they fetch."""
    commands = baosong_commands()
    assert not [argv for argv in commands if argv[:1] == ["receive"]]
    assert [argv for argv in commands if argv[:1] == ["verify"]] == [["verify"]] * 2
    for path in (GITLAB, GITEA):
        code = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                         if not line.lstrip().startswith("#"))
        assert "BAOSONG_REGISTRY_KEY" not in code and "secrets." not in code and "PUSH_TOKEN" not in code, path.name
        assert "baosong webhook" in path.read_text(encoding="utf-8"), path.name  # what a forge without hooks does
    assert "receive" not in gitlab()["stages"]
    for text in shell_texts():  # the shell steps fetch refs/baosong/*, never push it
        assert not re.search(r"\bgit\b[^\n]*\bpush\b", text), text


def test_gitea_structure() -> None:
    wf = gitea()
    assert {"pull_request", "push", "schedule"} <= set(wf["on"])
    for name, job in wf["jobs"].items():
        assert job["runs-on"] and job["steps"], name
        assert all("run" in step and "uses" not in step for step in job["steps"]), f"{name}: no outside actions"


def test_templates_are_thin_and_offline() -> None:
    for path in (GITLAB, GITEA):
        code = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.lstrip().startswith("#")]
        text = "\n".join(code)
        assert not re.search(r"https?://", text), f"{path.name}: a literal outside URL"
        assert "--depth" not in text and "fetch-depth" not in text and "uses:" not in text
    programs = set()
    for text in shell_texts():
        text = re.sub(r"(?m)^\s*#.*$", "", text).replace("\\\n", " ")
        inner = re.findall(r"\$\(([^()]*)\)", text)  # command substitutions count as commands too
        text = re.sub(r"\$\([^()]*\)", "X", text) + "\n" + "\n".join(inner)
        for command in re.split(r"[;\n|]|&&", text):
            words = [w for w in command.split() if w not in ("if", "then", "else", "fi", "!")]
            if words and not re.match(r"[A-Za-z_]+=", words[0]):
                programs.add(words[0].rsplit("/", 1)[-1].strip('"'))
    assert programs <= {"baosong", "git", "python3", "pip", "[", "export", "echo", "printf", "chmod", "rm", "cp",
                        "mv", "base64", "tr", "cd", "pwd", "mktemp"}, programs


def test_every_baosong_command_exists_with_its_options() -> None:
    commands = baosong_commands()
    used = {argv[0] for argv in commands if argv and not argv[0].startswith("-")}
    assert {"check", "verify", "audit", "build"} <= used
    parser = build_parser()
    for argv in commands:
        try:
            parser.parse_args(argv)
        except SystemExit as exc:
            if exc.code != 0:
                pytest.fail(f"baosong {' '.join(argv)}: not a valid command line")
    assert [argv for argv in commands if argv[:1] == ["check"]] == [["check", "--base", "sample-BAOSONG_BASE"]] * 2


def test_base_and_tooling_are_commit_ids_never_guessable_names() -> None:
    """A pull request can push tags and branches: `origin/main` may be its own tag. Both templates judge
    against, and install the tool from, one commit id: GitLab reads it from the fully qualified target
    ref with `show-ref --verify` (exact match), Gitea/Forgejo take the forge's base.sha."""
    ci = gitlab()
    jobs = gitlab_jobs(ci)
    assert jobs["baosong-check"]["variables"] == {
        "BAOSONG_BASE_REF": "refs/remotes/origin/$CI_MERGE_REQUEST_TARGET_BRANCH_NAME"}
    assert ci["variables"]["BAOSONG_TOOLING_REV"] == "$CI_COMMIT_SHA"
    before = "\n".join(ci[".baosong"]["before_script"])
    assert 'BAOSONG_BASE="$(git show-ref --verify --hash "$BAOSONG_BASE_REF")"' in before
    assert 'BAOSONG_TOOLING_REV="$BAOSONG_BASE"' in before
    assert before.index("show-ref") < before.index("worktree add")
    assert re.findall(r"worktree add .*", before) == [
        'worktree add --quiet --detach "$CI_BUILDS_DIR/baosong-tooling-$CI_JOB_ID" "$BAOSONG_TOOLING_REV"']
    wf = gitea()
    check = wf["jobs"]["check"]
    assert check["env"] == {"BAOSONG_BASE": "${{ github.event.pull_request.base.sha }}"}
    runs = "\n".join(step["run"] for step in check["steps"])
    assert re.findall(r"worktree add .*", runs) == ['worktree add --quiet --detach ../baosong-tooling "$BAOSONG_BASE"']
    assert "BAOSONG_BASE=" not in runs and "GITHUB_BASE_REF" not in runs
    for text in shell_texts():  # no revision anywhere is a short name a branch could imitate
        assert not re.search(r"\borigin/\$", text), text


# --- a small CI runner ---------------------------------------------------------------------------------


def expand(value: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m: env.get(m.group(1), ""), str(value))


def gitlab_rule(expr: str, env: dict[str, str]) -> bool:
    py = re.sub(r"\$([A-Za-z_][A-Za-z0-9_]*)", lambda m: repr(env.get(m.group(1), "")), expr)
    return bool(eval(py.replace("&&", " and ").replace("||", " or "), {}))  # noqa: S307 - our own template


class Ctx:
    def __init__(self, values: dict[str, str]) -> None:
        self.__dict__.update(values)

    def __getattr__(self, name: str) -> str:
        return ""


def actions_expr(expr: str, contexts: dict[str, Ctx]) -> object:
    py = expr.strip().replace("&&", " and ").replace("||", " or ")
    return eval(py, {}, contexts)  # noqa: S307 - our own template


def actions_value(value: object, contexts: dict[str, Ctx]) -> str:
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(actions_expr(m.group(1), contexts)), str(value))


class Forge:
    """A bare `origin` standing in for the forge, reachable under the URLs the templates build, with the
    registry's server hooks (`baosong init --bare`): they write the receipts when reports are pushed."""

    def __init__(self, world: th.World, tmp: Path) -> None:
        self.world, self.tmp = world, tmp
        self.reg = world.registry(tmp / "work")
        self.origin = tmp / "origin.git"
        th.run(["git", "clone", "-q", "--bare", str(self.reg.root), str(self.origin)], env=world.env)
        th.run([th.BAOSONG, "init", "--bare", str(self.origin), "--key", str(world.keys["registry"])], env=world.env)
        self.reg.git("remote", "add", "origin", str(self.origin))
        self.jobs = 0

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(self.world.env)
        urls = [f"{SERVER}/{PROJECT}.git", f"https://oauth2:tok@gitlab.test:443/{PROJECT}.git"]
        env.update({"GIT_CONFIG_COUNT": str(len(urls)), "BAOSONG_INSTALL": "image",
                    "GIT_AUTHOR_NAME": "ci", "GIT_AUTHOR_EMAIL": "ci@baosong.invalid",
                    "GIT_COMMITTER_NAME": "ci", "GIT_COMMITTER_EMAIL": "ci@baosong.invalid"})
        for i, url in enumerate(urls):
            env[f"GIT_CONFIG_KEY_{i}"] = f"url.{self.origin}.insteadOf"
            env[f"GIT_CONFIG_VALUE_{i}"] = url
        env.update(extra)
        return env

    def pull_request(self, name: str, signer: str | None, number: int) -> str:
        """An officer's branch with one new report made by `baosong new`, pushed for review."""
        self.reg.branch(name)
        made = self.reg.baosong("new", "--kind", "info", "--unit", "dcq", "--title", "东城区开展冬季安全大检查",
                                "--set", "info_type=dynamic", "--set", "body=排查隐患32处，已全部整改。", "--yes",
                                env={"XDG_CONFIG_HOME": str(self.tmp / "xdg")})
        assert made.returncode == 0, made.stdout + made.stderr
        sha = self.reg.commit(f"report on {name}", signer=signer, date=th.T0)
        self.reg.git("push", "-q", "origin", f"{name}:refs/heads/{name}", f"{name}:refs/pull/{number}/head")
        self.reg.checkout("main")
        return sha

    def merge(self, name: str) -> str:
        # Now: the server's guard refuses a merge on main whose time is not the server's clock.
        sha = self.reg.merge(name, date=datetime.now().astimezone().replace(microsecond=0).isoformat())
        self.reg.git("push", "-q", "origin", "main")
        return sha

    def run(self, script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
        return subprocess.run(["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", script], cwd=cwd,
                              env=env, capture_output=True, text=True, timeout=300)

    def gitlab_pipeline(self, source: str, sha: str, *, dry: bool = False, **variables: str,
                        ) -> dict[str, subprocess.CompletedProcess | None]:
        """Run the jobs GitLab would run for this event, stage by stage, each in a fresh full clone
        (`dry`: only say which jobs would run)."""
        ci = gitlab()
        env = self.env(CI_PIPELINE_SOURCE=source, CI_COMMIT_SHA=sha, CI_DEFAULT_BRANCH="main", CI_SERVER_PROTOCOL="https",
                       CI_SERVER_HOST="gitlab.test", CI_SERVER_PORT="443", CI_PROJECT_PATH=PROJECT,
                       CI_BUILDS_DIR=str(self.tmp / "builds"), **variables)
        if not any(gitlab_rule(r["if"], env) for r in ci["workflow"]["rules"]):
            return {}
        results = {}
        jobs = gitlab_jobs(ci)
        for stage in ci["stages"]:
            for name, job in jobs.items():
                if job["stage"] != stage or not any(gitlab_rule(r["if"], env) for r in job.get("rules", [])):
                    continue
                if dry:
                    results[name] = None
                    continue
                self.jobs += 1
                job_env = dict(env, CI_JOB_ID=str(self.jobs))
                for key, value in {**ci["variables"], **job.get("variables", {})}.items():
                    job_env[key] = expand(value, job_env)
                job_env["BAOSONG_INSTALL"] = "image"  # this environment's baosong stands in for the image's
                work = self.tmp / f"gitlab-{self.jobs}"
                th.run(["git", "clone", "-q", str(self.origin), str(work)], env=self.world.env)
                th.run(["git", "checkout", "-q", "--detach", sha], cwd=work, env=self.world.env)
                results[name] = self.run("\n".join(gitlab_script(ci, job)), work, job_env)
                if results[name].returncode != 0:
                    return results
        return results

    def gitea_workflow(self, event: str, sha: str, ref: str, base_ref: str = "", base_sha: str = "",
                       variables: dict[str, str] | None = None, secrets: dict[str, str] | None = None,
                       dry: bool = False) -> dict[str, subprocess.CompletedProcess | None]:
        """Run the workflow's jobs for this event the way act_runner does: steps in order, GITHUB_PATH honoured."""
        wf = gitea()
        event_data = Ctx({"pull_request": Ctx({"base": Ctx({"sha": base_sha, "ref": base_ref})})})
        contexts = {"github": Ctx({"event_name": event, "token": "tok", "sha": sha, "ref": ref, "event": event_data}),
                    "vars": Ctx(variables or {}), "secrets": Ctx(secrets or {})}
        results = {}
        for name, job in wf["jobs"].items():
            if "if" in job and not actions_expr(job["if"], contexts):
                continue
            self.jobs += 1
            work = self.tmp / f"gitea-{self.jobs}" / "workspace"
            work.mkdir(parents=True)
            path_file = work.parent / "github_path"
            path_file.write_text("")
            env = self.env(GITHUB_SERVER_URL=SERVER, GITHUB_REPOSITORY=PROJECT, GITHUB_SHA=sha, GITHUB_REF=ref,
                           GITHUB_BASE_REF=base_ref, GITHUB_EVENT_NAME=event, GITHUB_PATH=str(path_file))
            env.update({k: actions_value(v, contexts) for k, v in {**wf.get("env", {}), **job.get("env", {})}.items()})
            env["BAOSONG_INSTALL"] = "image"
            for step in job["steps"]:
                if "if" in step and not actions_expr(step["if"], contexts):
                    continue
                if dry:
                    results[f"{name}: {step.get('name', '')}"] = None
                    continue
                step_env = dict(env, **{k: actions_value(v, contexts) for k, v in step.get("env", {}).items()})
                added = [p for p in path_file.read_text().splitlines() if p]
                step_env["PATH"] = os.pathsep.join([*reversed(added), env["PATH"]])
                result = self.run(step["run"], work, step_env)
                results[f"{name}: {step.get('name', '')}"] = result
                if result.returncode != 0:
                    return results
        return results


def receipts_on(forge: Forge) -> int:
    """How many receipts the server's hooks wrote to the forge's store (at least one: the merged report's)."""
    listing = th.run(["git", "--git-dir", str(forge.origin), "ls-tree", "-r", "--name-only", "refs/baosong/receipts"],
                     env=forge.world.env).stdout.decode().split()
    count = len([n for n in listing if n.startswith("receipts/") and n.endswith(".json")])
    assert count >= 1
    return count


def failed(results: dict[str, subprocess.CompletedProcess | None]) -> str:
    return "\n".join(f"[{name}] rc={r.returncode}\n{r.stdout}\n{r.stderr}" for name, r in results.items()
                     if r is not None and r.returncode != 0)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> th.World:
    return th.World(tmp_path_factory.mktemp("world"))


@pytest.fixture()
def forge(world: th.World, tmp_path: Path) -> Forge:
    return Forge(world, tmp_path)


@pytest.mark.slow
def test_gitlab_pipelines_run(forge: Forge, world: th.World, tmp_path: Path) -> None:
    good = forge.pull_request("report-good", signer="lijing", number=1)
    bad = forge.pull_request("report-unsigned", signer=None, number=2)
    mr = {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"}
    results = forge.gitlab_pipeline("merge_request_event", good, **mr)
    assert list(results) == ["baosong-check"] and not failed(results), failed(results)
    assert "检查通过" in results["baosong-check"].stdout
    results = forge.gitlab_pipeline("merge_request_event", bad, **mr)
    assert results["baosong-check"].returncode == 1
    assert "signature-unsigned" in results["baosong-check"].stdout + results["baosong-check"].stderr

    main = forge.merge("report-good")
    store = th.run(["git", "--git-dir", str(forge.origin), "rev-parse", "refs/baosong/receipts"], env=world.env).stdout
    results = forge.gitlab_pipeline("push", main, CI_COMMIT_BRANCH="main")
    assert list(results) == ["baosong-audit", "pages"], failed(results)
    assert not failed(results), failed(results)
    # The job verified the two push receipts the server's hooks wrote, and wrote nothing itself.
    out = results["baosong-audit"].stdout
    assert f"共验证 {receipts_on(forge)} 份回执" in out and "0 个问题" in out and "store-absent" not in out
    assert th.run(["git", "--git-dir", str(forge.origin), "rev-parse", "refs/baosong/receipts"],
                  env=world.env).stdout == store
    site = next((tmp_path).glob("gitlab-*/public/index.html"))
    assert "信息报送" in site.read_text(encoding="utf-8")
    assert list(forge.gitlab_pipeline("schedule", main, CI_COMMIT_BRANCH="main", dry=True)) == ["baosong-audit", "pages"]
    assert list(forge.gitlab_pipeline("push", main, CI_COMMIT_BRANCH="report-good", dry=True)) == []


@pytest.mark.slow
def test_gitlab_check_is_not_fooled_by_a_tag_named_like_the_base(forge: Forge) -> None:
    # The officer pushes, next to an unsigned report, a tag `origin/main` pointing at it. A clone has
    # tags; `--base origin/main` would mean the tag (the request itself: "0 个提交 … 检查通过").
    bad = forge.pull_request("report-unsigned", signer=None, number=2)
    forge.reg.git("tag", "origin/main", bad)
    forge.reg.git("push", "-q", "origin", "refs/tags/origin/main")
    results = forge.gitlab_pipeline("merge_request_event", bad, CI_MERGE_REQUEST_TARGET_BRANCH_NAME="main")
    out = results["baosong-check"].stdout + results["baosong-check"].stderr
    assert results["baosong-check"].returncode == 1, out
    assert "signature-unsigned" in out and "1 个提交" in out


@pytest.mark.slow
def test_gitea_workflow_runs(forge: Forge, world: th.World, tmp_path: Path) -> None:
    good = forge.pull_request("report-good", signer="lijing", number=1)
    bad = forge.pull_request("report-unsigned", signer=None, number=2)
    base = forge.reg.head("main")
    results = forge.gitea_workflow("pull_request", good, "refs/pull/1/head", "main", base)
    assert results and all(name.startswith("check") for name in results) and not failed(results), failed(results)
    results = forge.gitea_workflow("pull_request", bad, "refs/pull/2/head", "main", base)
    assert list(results.values())[-1].returncode == 1 and "signature-unsigned" in list(results.values())[-1].stdout

    main = forge.merge("report-good")
    www = tmp_path / "www"
    results = forge.gitea_workflow("push", main, "refs/heads/main", variables={"PORTAL_PUBLISH_DIR": str(www)})
    assert not failed(results), failed(results)
    verified = results["registry: 核验回执（服务器钩子写入的 refs/baosong/receipts）"]
    assert f"共验证 {receipts_on(forge)} 份回执" in verified.stdout and "store-absent" not in verified.stdout
    assert "registry: 发布门户" in results
    assert (www / "index.html").is_file()
    steps = forge.gitea_workflow("schedule", main, "refs/heads/main", variables={"PORTAL_PUBLISH_DIR": str(www)},
                                 dry=True)
    assert "registry: 审计" in steps and "registry: 生成门户" in steps
    steps = forge.gitea_workflow("push", main, "refs/heads/main", dry=True)
    assert "registry: 生成门户" in steps and "registry: 发布门户" not in steps  # no publish directory set
