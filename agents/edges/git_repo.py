"""The pipeline repository as a git repo: proposals become branches, approvals merge into main.

Branches are written with git plumbing (hash-object, a temporary index, commit-tree,
update-ref), so the main work tree, which the running pipeline reads, never changes until
`merge()`. Git runs as a subprocess with explicit arguments, never through a shell.

The default branch is whatever the repository's HEAD names (main, master, trunk, ...). suture
works on its own clone in the workdir (`GitPipelineRepo.clone`), of the remote or, with the local
forge, of `--repo` (agents/edges/local_forge.py): it pushes proposal branches, never the default
branch, and after a forge merged a pull request it moves its clone forward to the remote's
default branch (`sync`). The user's working copy is never touched.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from pathlib import Path, PurePosixPath

import yaml
from pydantic import ValidationError

from agents.edges.git_rebase import BranchRebasing
from agents.edges.git_remote import BRANCH_PREFIX, RemoteSync
from agents.edges.pipeline_files import CONTRACTS_DIR, MODELS_DIR, read_pipeline_dir
from core.contracts import Contract, Pipeline
from core.errors import RepoError
from core.models import FixProposed, ModelPatch
from core.yaml_source import load_yaml_text
from tools.contracts.yaml_text import updated_contract_text

MAIN_BRANCH = "main"
REMOTE = "origin"
IDENTITY = {"user.name": "suture", "user.email": "suture@localhost"}
PROPOSAL_TRAILER = "Suture-Proposal"
_ZERO = "0" * 40


def branch_for(proposal_id: str) -> str:
    """The branch a proposal is committed on."""
    return f"{BRANCH_PREFIX}{proposal_id[:8]}"


def _clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    # Inherited GIT_DIR, GIT_INDEX_FILE, ... (e.g. inside a git hook) would redirect our commands.
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_TERMINAL_PROMPT"] = "0"
    return env | (extra or {})


class GitPipelineRepo(BranchRebasing, RemoteSync):
    """A pipeline repository under git; implements ProposalSink, Merger, Rebaser, PipelineView."""

    def __init__(
        self, path: Path, *, main_branch: str | None = None, remote: str | None = None
    ) -> None:
        self.path = Path(path).resolve()
        if not (self.path / ".git").exists():
            raise RepoError(
                f"{str(self.path)!r} is not a git repository; point --repo (or SUTURE_REPO) at "
                "your pipeline repository's work tree, or run 'git init' there and commit"
            )
        self.main_branch = main_branch or self._default_branch()
        self.remote = remote  # the remote's name when this is suture's own clone
        if not self._git_ok("rev-parse", "--verify", f"refs/heads/{self.main_branch}"):
            raise RepoError(
                f"{str(self.path)!r} has no branch {self.main_branch!r}; commit the pipeline "
                "on its default branch first"
            )
        for key, value in IDENTITY.items():
            if not self._git_ok("config", "--get", key):
                self._git("config", key, value)

    def _default_branch(self) -> str:
        """The branch HEAD names: the work tree's branch, or a clone's remote default."""
        try:
            return self._git("symbolic-ref", "--short", "HEAD").strip()
        except RepoError as error:
            raise RepoError(
                f"{str(self.path)!r} has a detached HEAD; check out its default branch"
            ) from error

    @classmethod
    def clone(cls, remote: str, path: Path) -> GitPipelineRepo:
        """suture's own clone of `remote` at `path` (made, or refreshed from the remote)."""
        target = Path(path).resolve()  # git runs in its parent: a relative path would nest
        if (target / ".git").exists():
            url = _run(target, "config", "--get", f"remote.{REMOTE}.url").strip()
            if url != remote:
                raise RepoError(
                    f"{str(target)!r} is a clone of {url!r}, not {remote!r}; remove it or "
                    "pick another workdir"
                )
            repo = cls(target, remote=REMOTE)
            repo.sync_sync()
            return repo
        if target.exists() and any(target.iterdir()):
            raise RepoError(f"{str(target)!r} is not empty; pick a new directory for the clone")
        target.parent.mkdir(parents=True, exist_ok=True)
        _run(target.parent, "clone", "--quiet", "--origin", REMOTE, remote, str(target))
        for key, value in {**IDENTITY, "commit.gpgsign": "false"}.items():
            _run(target, "config", key, value)
        if not _run(target, "branch", "--list").strip():
            raise RepoError(
                f"the remote {remote!r} has no branches; push the pipeline's default branch "
                "there first"
            )
        return cls(target, remote=REMOTE)

    @classmethod
    def create(
        cls, template: Path, path: Path, *, main_branch: str = MAIN_BRANCH
    ) -> GitPipelineRepo:
        """Copy a pipeline directory to `path` and make it a git repo with one initial commit."""
        target = Path(path)
        if target.exists() and any(target.iterdir()):
            raise RepoError(f"{str(target)!r} is not empty; pick a new directory for the repo")
        if not Path(template).is_dir():
            raise RepoError(f"template {str(template)!r} is not a directory")
        shutil.copytree(template, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".git"))
        _run(target, "init", "--quiet", f"--initial-branch={main_branch}")
        for key, value in {**IDENTITY, "commit.gpgsign": "false"}.items():
            _run(target, "config", key, value)
        _run(target, "add", "--all")
        _run(target, "commit", "--quiet", "-m", f"Pipeline from template {Path(template).name}")
        return cls(target, main_branch=main_branch)

    def _git(
        self,
        *args: str,
        stdin: str | None = None,
        env: dict[str, str] | None = None,
        ok: tuple[int, ...] = (0,),
    ) -> str:
        return _run(self.path, *args, stdin=stdin, env=env, ok=ok)

    def _git_ok(self, *args: str) -> bool:
        try:
            self._git(*args)
        except RepoError:
            return False
        return True

    # --- reading -------------------------------------------------------------------------

    def model_files(self, ref: str | None = None) -> dict[str, str]:
        """Model name -> path (relative, POSIX) of every models/**/*.sql on `ref` (main)."""
        listing = self._git(
            "ls-tree", "-r", "--name-only", "-z", ref or self.main_branch, "--", MODELS_DIR
        )
        paths = [p for p in listing.split("\0") if p.endswith(".sql")]
        return {PurePosixPath(p).stem: p for p in paths}

    def read_models(self, ref: str | None = None) -> dict[str, str]:
        """Model name -> SQL of every model committed on `ref` (main by default)."""
        ref = ref or self.main_branch
        return {
            name: self._git("show", f"{ref}:{path}") for name, path in self.model_files(ref).items()
        }

    async def current_models(self) -> dict[str, str]:
        """Model name -> SQL as committed on main."""
        return await asyncio.to_thread(self.read_models)

    async def snapshot(self) -> tuple[Pipeline, dict[str, Contract]]:
        """The main work tree's models and contracts, as the running pipeline sees them."""
        files = await asyncio.to_thread(read_pipeline_dir, self.path)
        return files.pipeline, files.contracts

    async def revision(self) -> str:
        """The commit main points at (the work tree `snapshot` reads is main's)."""
        return await asyncio.to_thread(self.head)

    # --- proposing -----------------------------------------------------------------------

    def _patch_path(self, patch: ModelPatch, known: dict[str, str]) -> str:
        if patch.path is not None:
            relative = PurePosixPath(Path(patch.path).as_posix())
            if relative.is_absolute() or ".." in relative.parts:
                raise RepoError(f"patch path {patch.path!r} must be relative and inside the repo")
            return str(relative)
        if patch.model in known:
            return known[patch.model]
        if not patch.before_sql.strip():
            return f"{MODELS_DIR}/{patch.model}.sql"
        raise RepoError(
            f"model {patch.model!r} has no file on {self.main_branch!r}; "
            f"set ModelPatch.path (known models: {sorted(known)})"
        )

    def open_change_sync(self, proposal: FixProposed) -> tuple[str, str]:
        """Commit the proposal's patches on branch suture/fix-<id> (or on the branch of the
        proposal it supersedes) off the commit it was made on, `proposal.base`, else off main's
        head; work tree untouched. Its patches are whole files read at that commit: committed on
        a newer head they would silently undo what moved it, so the branch is left behind main
        and the applier sends it to revalidation instead (agents/applier.py)."""
        branch = proposal.branch or branch_for(proposal.proposal_id)
        read_at = proposal.base or f"refs/heads/{self.main_branch}"
        base = self._git("rev-parse", "--verify", f"{read_at}^{{commit}}").strip()
        known = self.model_files(base)
        with tempfile.TemporaryDirectory(prefix="suture-index-") as folder:
            env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
            self._git("read-tree", base, env=env)
            for patch in proposal.patches:
                text = patch.file_text if patch.file_text.endswith("\n") else patch.file_text + "\n"
                blob = self._git("hash-object", "-w", "--stdin", stdin=text).strip()
                path = self._patch_path(patch, known)
                self._git("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
            if proposal.contract is not None and (found := self._contract_file(base, proposal)):
                path, text = found
                blob = self._git("hash-object", "-w", "--stdin", stdin=text).strip()
                self._git("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=env)
            tree = self._git("write-tree", env=env).strip()
        if tree == self._git("rev-parse", f"{base}^{{tree}}").strip():
            raise RepoError(
                f"proposal {proposal.proposal_id!r} changes nothing on {self.main_branch!r}; "
                "its after_sql equals the current models"
            )
        trailer = f"{PROPOSAL_TRAILER}: {proposal.proposal_id}"
        message = f"{proposal.title}\n\n{proposal.description}".strip() + f"\n\n{trailer}\n"
        commit = self._git(
            "-c", "commit.gpgsign=false", "commit-tree", tree, "-p", base, "-F", "-", stdin=message
        ).strip()
        existing = self._git_ok("rev-parse", "--verify", f"refs/heads/{branch}")
        if existing:
            owner = self._git(
                "log", "-1", f"--format=%(trailers:key={PROPOSAL_TRAILER},valueonly)", branch
            ).strip()
            if owner not in (proposal.proposal_id, proposal.supersedes):
                raise RepoError(
                    f"branch {branch!r} already holds proposal {owner!r}, not "
                    f"{proposal.proposal_id!r}; delete the stale branch or pick another id"
                )
            # A superseding proposal always commits anew, so the head names the live proposal.
            if owner == proposal.proposal_id and self._same_change(branch, tree, base):
                return branch, self._git("rev-parse", f"refs/heads/{branch}").strip()
        # A re-delivered proposal may find its branch behind a newer main: move it forward.
        self._git("update-ref", f"refs/heads/{branch}", commit, *([] if existing else [_ZERO]))
        return branch, commit

    def _contract_file(self, ref: str, proposal: FixProposed) -> tuple[str, str] | None:
        """(path, new text) of the suture-YAML contract of the proposal's dataset on `ref`.

        Contracts kept in other formats (JSON Schema, Avro, ODCS) are left for a human: the
        pull request says how the contract changes."""
        if proposal.contract is None:
            return None
        if proposal.contract_file is not None:  # a dbt source YAML, already rewritten
            return proposal.contract_file.path, proposal.contract_file.text
        listing = self._git("ls-tree", "-r", "--name-only", "-z", ref, "--", CONTRACTS_DIR)
        for path in (p for p in listing.split("\0") if p.endswith((".yaml", ".yml"))):
            text = self._git("show", f"{ref}:{path}")
            try:
                data = load_yaml_text(text)
                if not isinstance(data, dict) or data.get("dataset") != proposal.dataset:
                    continue
                current = Contract.model_validate(data)
            except (yaml.YAMLError, ValidationError):
                continue
            return path, updated_contract_text(text, current, proposal.contract)
        return None

    def _same_change(self, branch: str, tree: str, base: str) -> bool:
        current_tree = self._git("rev-parse", f"refs/heads/{branch}^{{tree}}").strip()
        parent = self._git("rev-parse", f"refs/heads/{branch}^").strip()
        return current_tree == tree and parent == base

    async def open_change(self, proposal: FixProposed) -> tuple[str, str]:
        """Commit the proposal's patches on a new branch; return (branch, commit sha)."""
        return await asyncio.to_thread(self.open_change_sync, proposal)

    # --- reviewing and applying ----------------------------------------------------------

    def diff_sync(self, branch: str) -> str:
        """The branch's changes since it left main, as a unified diff."""
        return self._git("diff", f"{self.main_branch}...{branch}", "--")

    async def diff(self, branch: str) -> str:
        """The branch's changes since it left main, as a unified diff."""
        return await asyncio.to_thread(self.diff_sync, branch)

    def merge_sync(self, branch: str, commit: str | None = None) -> str:
        """Merge `branch` into main (fast-forward when possible), updating the work tree; only
        while the branch's head is still `commit` (the reviewed commit) when given."""
        head = self._git("symbolic-ref", "--short", "HEAD").strip()
        if head != self.main_branch:
            raise RepoError(
                f"the work tree is on {head!r}, not {self.main_branch!r}; check out "
                f"{self.main_branch!r} before merging"
            )
        if not self._git_ok("rev-parse", "--verify", f"refs/heads/{branch}"):
            raise RepoError(f"no branch {branch!r} to merge; open the change first")
        if commit is not None and self.branch_head(branch) != commit:
            raise RepoError(
                f"branch {branch!r} moved on from the reviewed commit {commit[:10]}; a newer "
                "proposal superseded it: review that one"
            )
        message = f"Merge {branch}: approved suture fix"
        # The reviewed commit itself, never the branch's name: a newer revision may move the
        # branch between the check above and the merge (it did, in the broker fault test, and
        # an unreviewed revision was merged and recorded as the approved one).
        merging = commit if commit is not None else branch
        try:
            self._git("-c", "commit.gpgsign=false", "merge", "--no-edit", "-m", message, merging)
        except RepoError as error:
            if self._git_ok("rev-parse", "--verify", "MERGE_HEAD"):
                self._git("merge", "--abort")
            raise RepoError(
                f"cannot merge {branch!r} into {self.main_branch!r} ({error}); main is unchanged: "
                "open the proposal again on the current main"
            ) from error
        return self._git("rev-parse", "HEAD").strip()

    async def merge(self, branch: str, commit: str | None = None) -> str:
        """Merge `branch` (at the reviewed `commit`) into main; return main's new commit sha."""
        return await asyncio.to_thread(self.merge_sync, branch, commit)

    def remember(self, branch: str, key: str, value: str) -> None:
        """Keep a fact about a branch (its pull request's number) in the clone's config."""
        self._git("config", f"suture.{branch}.{key}", value)

    def recall(self, branch: str, key: str) -> str | None:
        """A fact kept with `remember`, if any."""
        try:
            return self._git("config", "--get", f"suture.{branch}.{key}").strip() or None
        except RepoError:
            return None


def _subcommand(args: tuple[str, ...]) -> str:
    """The git sub-command in `args`, past global options such as `-c key=value`."""
    rest = list(args)
    while rest and rest[0] == "-c":
        rest = rest[2:]
    return " ".join(rest[:2])


def _run(
    cwd: Path,
    *args: str,
    stdin: str | None = None,
    env: dict[str, str] | None = None,
    ok: tuple[int, ...] = (0,),
) -> str:
    """Run git in `cwd`; an exit status not in `ok` is a RepoError carrying git's stderr."""
    command = ["git", "-C", str(cwd), *args]
    try:
        done = subprocess.run(
            command,
            input=stdin,
            capture_output=True,
            text=True,
            env=_clean_env(env),
            check=False,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise RepoError(f"could not run git {args[0]!r}: {error}; is git installed?") from error
    if done.returncode not in ok:
        detail = (done.stderr or done.stdout).strip()
        raise RepoError(f"git {_subcommand(args)} failed in {str(cwd)!r}: {detail}")
    return done.stdout


def seed_remote(repo: GitPipelineRepo, remote: str) -> bool:
    """Push `repo`'s default branch to a remote that has no branches yet; False if it has some.

    Only for a new, empty remote (the demo's): suture never pushes a default branch that exists.
    """
    if _run(repo.path, "ls-remote", "--heads", remote).strip():
        return False
    default = repo.main_branch
    if Path(remote).is_dir():  # a local bare repository names its default branch in HEAD
        default = _run(Path(remote), "symbolic-ref", "--short", "HEAD").strip() or default
    _run(
        repo.path, "push", "--quiet", remote, f"refs/heads/{repo.main_branch}:refs/heads/{default}"
    )
    return True
