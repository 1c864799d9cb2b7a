"""The resources as one call sees them: which fit its tasks (a project may not be deployed on
every resource), which are drained, which one a job goes to, and the error that moves a job
off a resource that failed (`ResourceDownError`). The decisions are `routing`'s pure
functions; this keeps the call's state for them and says what it decided.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import NoReturn

from .._errors import AsyncClassifyError, TaskConfigurationError
from .._settings import Drainage
from .._stats import RunStats
from .links import ResourceLink
from .routing import choose, others_usable

logger = logging.getLogger("asyncclassify")


class ResourceDownError(Exception):
    """A resource was drained (another takes its jobs): the job on it goes elsewhere."""

    def __init__(self, link: ResourceLink, why: str) -> None:
        super().__init__(f"{link.label} drained: {why}")
        self.link = link
        self.why = why


class CallResources:
    """One call's view of the client's resources."""

    def __init__(self, links: Sequence[ResourceLink], stats: RunStats, drainage: Drainage) -> None:
        self._links = tuple(links)
        self._stats = stats
        self._drainage = drainage
        self._unfit_until: dict[ResourceLink, float] = {}
        """Resources this call's tasks cannot run on (a project not deployed there), until
        when: the call sends them no job, other calls still may."""

    def choose(self, now: float, current: ResourceLink | None = None) -> ResourceLink | None:
        """The resource to send a job to, among those that fit the call's tasks (see
        `_resources.routing.choose`)."""
        return choose(self._fitting(now), now, current)

    def takes_jobs(self, link: ResourceLink, now: float) -> bool:
        """Whether the call sends `link`'s resource new jobs at `now`: it fits the call's
        tasks, and it is not drained, or no other one that fits is usable (the call's last
        resources are never drained for it: their errors are the call's)."""
        if self.unfit_until(link) > now:
            return False
        return link.health.usable(now) or not self.others_usable(link, now)

    def unfit_until(self, link: ResourceLink) -> float:
        """Until when this call sends `link`'s resource no job (-inf: it may now)."""
        return self._unfit_until.get(link, -math.inf)

    def others_usable(self, link: ResourceLink, now: float) -> bool:
        """Whether a resource other than `link`'s can take this call's jobs at `now`."""
        return others_usable(self._fitting(now), link, now)

    def _fitting(self, now: float) -> list[ResourceLink]:
        return [link for link in self._links if self.unfit_until(link) <= now]

    def leave_out(self, link: ResourceLink, error: TaskConfigurationError) -> bool:
        """This call's tasks cannot run on `link`'s resource (`error`): whether another takes
        the call's jobs instead (one that fits them, drained or not). If so, the call sends it
        none for `Drainage.revive_after` (the project may be deployed meanwhile); other calls,
        with other tasks, still send theirs."""
        now = self._links[0].runtime.now()
        if not any(other is not link for other in self._fitting(now)):
            return False
        if self.unfit_until(link) <= now:
            logger.warning(
                "%s cannot run the call's tasks, its jobs go to the others: %s", link.label, error
            )
            self._stats.resource(link.label).drained = str(error)
            link.drains.drained()  # another resource may now be the call's last
        self._unfit_until[link] = now + self._drainage.revive_after
        return True

    def give_up(self, link: ResourceLink, error: AsyncClassifyError) -> NoReturn:
        """`error` on `link`'s resource: drain it for `Drainage.revive_after` when another
        can take its jobs (raising `ResourceDownError`: the job moves), else raise `error`
        itself, the call's. (A key rotated meanwhile, an endpoint back: it is tried again.)"""
        now = self._links[0].runtime.now()
        if not self.others_usable(link, now):
            raise error
        raise self.drained(link, str(error), until=now + self._drainage.revive_after)

    def drained(self, link: ResourceLink, why: str, *, until: float) -> ResourceDownError:
        """Drain `link`'s resource until `until` (saying so once); the error that moves the
        job that found it failing."""
        newly = link.health.drained is None
        if newly:
            logger.warning("resource %s drained, its jobs go to the others: %s", link.label, why)
            self._stats.resource(link.label).drained = why
        link.health.drain(why, until)
        if newly:
            link.drains.drained()
        return ResourceDownError(link, why)

    def submits_elsewhere(self, link: ResourceLink, now: float) -> str | None:
        """Why a submit due on `link`'s resource at `now` goes to another one instead (it is
        drained, or cannot run the call's tasks, and another can take it), or None."""
        if self.takes_jobs(link, now) or self.choose(now) in (None, link):
            return None
        return link.health.drained or "it cannot run the call's tasks"
