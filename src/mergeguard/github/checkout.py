"""What the workspace's checkout is to the pull request: its code or not, and the base it is measured from."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from mergeguard.core.errors import UsageError
from mergeguard.core.gitrepo import open_repo
from mergeguard.github.context import MERGE_REF_EVENTS, ActionContext


@dataclass(frozen=True, slots=True)
class Checkout:
    """HEAD of the scanned repository, and its parents as the clone shows them (none in a clone of
    depth 1: a shallow clone hides the parents of its oldest commits)."""

    head: str
    parents: tuple[str, ...]

    def merges(self, pr_head: str) -> bool:
        """Whether HEAD is GitHub's merge commit of `pr_head`: the base branch's tip, then the head."""
        return len(self.parents) == 2 and self.parents[1] == pr_head


def read(root: Path) -> Checkout | None:
    """The checkout `root` lies in; None outside a repository."""
    repo = open_repo(root)
    if repo is None:
        return None
    head, *parents = repo.git("log", "-1", "--format=%H %P", "HEAD").split()
    return Checkout(head, tuple(parents))


def measured(ctx: ActionContext) -> ActionContext:
    """`ctx` with the base a pull request's change is measured from, and its policy read at.

    actions/checkout checks out `refs/pull/N/merge`, which GitHub rebuilds on the base branch's
    current tip, while the payload's `pull_request.base.sha` stays what it was when the pull request
    was opened or last pushed: measured from it, whatever reached the base branch since would count
    as the pull request's. So when HEAD is that merge commit, the base is its first parent.
    """
    if ctx.pr_number is None or ctx.base_sha is None:
        return ctx
    found = read(ctx.root)
    if found is None or not found.merges(ctx.head_sha):
        return ctx
    return dataclasses.replace(ctx, base_sha=found.parents[0])


def require_pull_request_code(ctx: ActionContext) -> None:
    """On a pull request the workspace must hold its code: its head, or GitHub's merge commit of it.

    Under `pull_request_target`, actions/checkout checks out the base branch: scanned, it would pass
    a pull request whose changes were never looked at (an empty range, "0 changed files").
    """
    if ctx.pr_number is None or not ctx.head_sha:
        return
    found = read(ctx.root)
    if found is None and ctx.event_name == "pull_request_target":
        raise UsageError(
            "the workspace is not a git checkout, so it cannot be shown to hold pull request"
            f" #{ctx.pr_number}'s code (under pull_request_target, actions/checkout checks out the base"
            " branch); check out its head with git, see docs/fork-safe-workflows.md"
        )
    if found is None:
        return  # on pull_request, actions/checkout downloads GitHub's merge commit when git is missing
    if found.head in _pull_request_commits(ctx) or ctx.head_sha in found.parents:
        return
    if not found.parents and found.head != ctx.sha:  # depth 1: a merge commit unnamed in the payload?
        raise UsageError(
            f"the workspace's HEAD {found.head[:12]} cannot be shown to be pull request #{ctx.pr_number}'s"
            f" code: it is not its head {ctx.head_sha[:12]}, the payload names no merge commit of it yet, and"
            " a clone of depth 1 hides HEAD's parents; check out with fetch-depth: 0"
            " (see docs/fork-safe-workflows.md)"
        )
    raise UsageError(
        f"the workspace is not pull request #{ctx.pr_number}'s code: HEAD {found.head[:12]} is neither its"
        f" head {ctx.head_sha[:12]} nor GitHub's merge commit of it (under {ctx.event_name or 'this event'},"
        " actions/checkout checks out the base branch); scan on pull_request, see docs/fork-safe-workflows.md"
    )


def _pull_request_commits(ctx: ActionContext) -> set[str]:
    """The commits GitHub names as the pull request's code: its head, its merge commit in the payload,
    and under `pull_request` GITHUB_SHA (the merge commit actions/checkout checks out). Known by name,
    they need no history: a clone of depth 1 shows no parents. Under `pull_request_target`
    GITHUB_SHA is the base branch's tip, never one of them."""
    named = {ctx.head_sha}
    if ctx.merge_sha:
        named.add(ctx.merge_sha)
    if ctx.event_name in MERGE_REF_EVENTS and ctx.sha:
        named.add(ctx.sha)
    return named
