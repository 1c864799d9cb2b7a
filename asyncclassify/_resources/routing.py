"""Which resource a job goes to, and when a resource is drained. Pure logic: time passed in.

A client may spread its jobs over several resources (regions), each with its own budget and
pacer. New batches are pulled by each resource as soon as its pacer has room (so each goes
to the resource that can start it first); a job sent again goes to the usable resource that
would start it soonest (`choose`).

A resource is drained, its jobs sent to the others, when it fails while another is usable:
refused credentials, a spent quota, an endpoint that does not serve the API, or requests
failing for `drain_after` seconds. The client's drains end after `revive_after` seconds: the
resource is tried again, and drained again at its first failure. A resource that cannot run
one call's tasks (a project not deployed there) is left out of that call alone, for as long.
While it is the last usable one, a resource is never drained: its errors are the call's, as
with one resource.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar


@dataclass(slots=True)
class ResourceHealth:
    """Whether a resource takes jobs, and since when every request to it has failed."""

    drained: str | None = None
    """Why it was drained (None while it takes jobs)."""
    drained_until: float = math.inf
    """When a transient drain ends (inf: for good)."""
    failing_since: float | None = None
    """When the current run of failed requests began (None after any answer)."""
    on_probation: bool = False
    """Tried again after a transient drain: drained again at its first failure."""

    def usable(self, now: float) -> bool:
        """Whether new jobs may go to it at `now` (a transient drain ends on its own)."""
        if self.drained is not None and now >= self.drained_until:
            self.drained = None
            self.drained_until = math.inf
            self.failing_since = None
            self.on_probation = True
        return self.drained is None

    def answered(self) -> None:
        """A request to it was answered (whatever the answer said)."""
        self.failing_since = None
        self.on_probation = False

    def failed(self, now: float) -> None:
        """A request to it got no answer (or a transient failure)."""
        if self.failing_since is None:
            self.failing_since = now

    def failing_for(self, now: float) -> float:
        """How long every request to it has failed (0 when the last one was answered)."""
        if self.failing_since is None:
            return 0.0
        return max(0.0, now - self.failing_since)

    def drain(self, why: str, until: float = math.inf) -> None:
        """Send it no new job until `until` (for good by default; a drain already on is
        never shortened)."""
        if self.drained is None:
            self.drained, self.drained_until = why, until
        else:
            self.drained_until = max(self.drained_until, until)
        self.on_probation = False


class Route(Protocol):
    """What `choose` needs to know of a resource."""

    @property
    def health(self) -> ResourceHealth: ...

    def expected_start(self, now: float) -> float:
        """Seconds until a job sent now would be submitted."""


R = TypeVar("R", bound=Route)


def choose(routes: Sequence[R], now: float, current: R | None = None) -> R | None:
    """The usable resource that would start a job soonest (`current`, the one the job ran
    on, on a tie). When none is usable, the soonest of them all: the last resources are
    never drained, their errors are the call's. None only when `routes` is empty."""
    candidates = [route for route in routes if route.health.usable(now)] or routes
    best: R | None = None
    best_start = math.inf
    for route in candidates:
        start = route.expected_start(now)
        if start < best_start or (start == best_start and route is current):
            best, best_start = route, start
    return best


def others_usable(routes: Sequence[R], route: R, now: float) -> bool:
    """Whether a resource other than `route` takes jobs at `now`."""
    return any(other is not route and other.health.usable(now) for other in routes)


Leaving = Literal["stay", "move", "drain"]
"""After a failed request: keep trying the resource, move the job to another one (the
resource is drained already), or drain the resource and move it."""


def after_failure(
    *,
    usable: bool,
    on_probation: bool,
    failing_for: float,
    drain_after: float,
    others_usable: bool,
    even_if_drained: bool = False,
) -> Leaving:
    """What a failed request to a resource calls for: whether the resource is `usable` (not
    drained), `on_probation` (tried again after a drain), and how long its requests, or this
    one, have failed (`failing_for`). A drained resource's jobs move at their first failure,
    unless the request must go there (`even_if_drained`: a cancel); a resource is drained
    when every request has failed for `drain_after`, or at once while it is on probation;
    never while it is the last usable one."""
    if not others_usable:
        return "stay"
    if not even_if_drained and not usable:
        return "move"
    if on_probation or failing_for >= drain_after:
        return "drain"
    return "stay"
