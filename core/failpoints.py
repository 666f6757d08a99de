"""Failpoints: named places where a fault-injection test can kill suture, as SIGKILL would.

`SUTURE_FAILPOINT=<name>` in the environment makes the process kill itself the first time it
reaches `failpoint(name)`. Unset (always, outside those tests), a failpoint costs one lookup.
The names are listed in FAILPOINTS so a test cannot name one that does not exist.
"""

from __future__ import annotations

import os
import signal

FAILPOINTS = frozenset(
    {
        "healer.alert_received",  # an alert was read; nothing done yet
        "healer.validating",  # a patch is being validated
        "healer.branch_committed",  # the proposal's branch exists, the proposal is not stored
        "applier.merged",  # the fix is merged, its outcome not recorded
    }
)


def failpoint(name: str) -> None:
    """Die here, at once and without cleanup, if the environment names this failpoint."""
    if os.environ.get("SUTURE_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
