"""The request budget of one resource: a smooth pace under a sliding window, learnt from 429s.

Pure logic: every method takes the time (seconds on one monotonic clock); nothing sleeps.

The service counts every request of a key in a sliding window (1,000 per minute). The budget
sends at an even pace (`limit` per `window`, with a small burst) rather than in bursts, so that
a window other clients have partly filled, or arrival jitter at the service, seldom makes one
request too many. A 429 is read against what the budget itself held in the window when the
throttled request left:

* a one-off far below its own limit: someone else filled the window (an earlier run, another
  process). Waiting the `Retry-After` is enough; the limit stays.
* a one-off near its own limit: our pace, or the last of someone else's requests, filled it.
  The limit drops a little below what the window held, and climbs back once 429s stop.
* a second episode within a few windows: about what the window held is what fits, whether
  the real limit is lower than ours (a wrong setting) or another client keeps a share of the
  window (two processes on one key each settle just under what they held, together just
  under the limit, instead of ratcheting each other down). That level, a little lower (7%
  while it moves, 1.5% once 429s meet it again), becomes a ceiling (one episode lowers it
  by at most half, or by a fifth when the window held far less of ours than our limit:
  what we happened to send then is no measure of our share), probed upwards (15% of
  the limit per window) after a window without 429s: another client may have finished, or
  what filled the window was a burst that has passed, leaving a share idle (a share idle is
  lost for good; a probe that finds it still taken costs a 429 or two). Each probe that
  meets 429s at the same level again doubles the quiet wait before the next (up to two
  windows: a share another client leaves when it finishes is idle until a probe finds it),
  so a limit that holds costs fewer 429s. A probe that gets past the level takes the whole
  limit back.
* a second episode before we have sent for most of a window: what the window holds of ours
  measures how long we have been sending, not our share (a window pre-filled by an earlier
  run empties as we fill it). The pace drops to about what the window held (by at most 70%)
  and climbs back once 429s stop; no ceiling is learnt. What we sent before is forgiven
  until it begins to leave the window, while 429s halve the pace (counted, it idled two
  processes after an earlier run for most of a window: 0.80 of the limit, now 0.95).

Once 429s (bar those while forgiven) stop for a window, the limit is at the ceiling a window on.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence

WINDOW_MARGIN = 1.01
"""The window is counted this much longer than the service's, for arrival-time jitter."""
BURST_FRACTION = 0.02
"""Requests that may leave at once after a quiet spell, as a fraction of the limit."""
MIN_BURST = 2.0
NEAR_LIMIT = 0.9
"""A 429 while the window held this fraction of our limit or more is our own pace's doing."""
DECREASE = 0.93
"""After a repeated throttling episode, the limit drops to this fraction of what the window
held..."""
ONE_OFF_DECREASE = 0.98
"""...and after a one-off near our own limit, to this fraction."""
CONFIRM_WINDOWS = 3.0
"""A second throttling episode this soon (in windows) after the last one shows what fits."""
CONFIRM_NEAR = 0.1
"""A 429 within this fraction above a confirmed level confirms it again at once."""
CEILING_MARGIN = 0.97
"""A confirmed ceiling sits this fraction below the level that met 429s."""
STABLE_MARGIN = 0.985
"""...and this fraction below it when 429s meet the same level again."""
MAX_DROP = 0.5
"""One episode lowers the limit to no less than this fraction of what it was..."""
IDLE_DROP = 0.8
"""...or of this fraction when the window held far less of ours than our limit: someone
else's requests filled it (or the real limit is lower), and how much of it is ours to take
is not known from what we happened to send then (a client with little to send would learn
a ceiling at its need, and later, with more to send, wait for probes to take back what was
free). A few more 429s find the level; a share left idle is lost for good."""
RECOVER_WINDOWS = 1.0
"""Quiet windows after the last 429 (429s while forgiven aside) before the limit climbs."""
PROBE_AFTER_WINDOWS = 1.0
"""Quiet windows after which a learnt ceiling is first probed upwards..."""
PROBE_AFTER_MAX_WINDOWS = 2.0
"""...doubled each time a probe meets 429s at the same level, up to this."""
PROBE_RATE = 0.15
"""How fast a ceiling is probed: this fraction of the configured limit per window."""
FILLING_WINDOWS = 0.75
"""A 429 less than this (in windows) after we began to send meets a window we are still
filling..."""
FILLING_DROP = 0.3
"""...and lowers the pace to no less than this fraction of what it was..."""
FILLING_AGAIN = 0.5
"""...or, while what we sent before that drop is forgiven, to this fraction of it: a pace
that still meets 429s is too fast for what leaves the window..."""
FORGIVEN_FLOOR = 0.2
"""...until the pace would fall under this fraction of the drop's: too little leaves the
window to be worth the 429s, so what we sent before counts again (we wait for it to leave)."""
USE_MEMORY = 0.1
"""How far back (in windows) `utilization` looks: an exponentially fading average."""
FADE_STEP = 1e-6
"""Seconds past the moment a fading use reaches a level, so that it is under it."""


class RequestBudget:
    """At most `limit` requests per `window` seconds, evenly paced; learns the real limit."""

    def __init__(self, requests: int = 1000, window: float = 60.0) -> None:
        if requests < 1 or window <= 0:
            raise ValueError("a request budget needs requests >= 1 and window > 0")
        self.configured = float(requests)
        self.window = window
        self._span = window * WINDOW_MARGIN
        self._limit = float(requests)
        self._ceiling = float(requests)
        self._sent: deque[float] = deque()
        self._tokens = MIN_BURST
        """Saved up as requests are not sent: a client starts at its even pace, so that a
        window others have filled does not meet a burst."""
        self._tokens_at: float | None = None
        self.paused_until = float("-inf")
        self._last_throttle = float("-inf")
        self._quiet_from = float("-inf")
        """The last 429, or the filling drop that 429s while forgiven followed: the limit
        climbs back a window after."""
        self._last_episode: tuple[float, float] = (float("-inf"), 0.0)
        """(when, what our window held) of the last throttling episode."""
        self._confirmed = 0.0
        """The level two episodes agreed on (0: none yet)."""
        self._probe_after = PROBE_AFTER_WINDOWS
        """Quiet windows before the ceiling is probed upwards."""
        self._climbed_at = float("-inf")
        self._counted_from = float("-inf")
        """Requests sent before this are forgiven: not counted against the limit."""
        self._forgiven_until = float("-inf")
        self._unforgiving_until = float("-inf")  # (a floor ended the last forgiveness)
        self._filling_level = 0.0
        """The pace set when a window we were filling met 429s, while what we sent before is
        forgiven (0: nothing is); the pace returns to it when the forgiveness ends (those
        requests begin to leave at `_forgiven_until`, or the pace fell to the floor)."""
        self._began = float("-inf")
        """When we began to send: the first request, or the first after the window emptied
        with no 429 and no pause lately (a pause after 429s, however long its Retry-After,
        is no new beginning)."""
        self._used = 0.0
        self._used_at = 0.0
        self.throttles = 0

    @property
    def limit(self) -> int:
        """Requests per window allowed right now."""
        return max(1, int(self._limit))

    @property
    def ceiling(self) -> int:
        """The level the limit climbs back to after a 429 (the configured limit, or lower)."""
        return max(1, int(self._ceiling))

    @property
    def last_throttle(self) -> float:
        """When the latest throttling episode began (-inf before any)."""
        return self._last_throttle

    @property
    def rate(self) -> float:
        """Requests per second allowed right now."""
        return self._limit / self._span

    def in_window(self, now: float) -> int:
        """Our requests within the window that ends at `now`."""
        self._expire(now)
        return len(self._sent)

    def ready_at(self, now: float) -> float:
        """The earliest time, `now` or later, at which one more request may leave."""
        sent = self._sent
        horizon = now - self._span
        while sent and sent[0] <= horizon:
            sent.popleft()
        if self._filling_level and now >= self._forgiven_until:
            self._count_whole()
        ready = now if now > self.paused_until else self.paused_until
        limit = int(self._limit) or 1
        if len(sent) >= limit and sent[-limit] >= self._counted_from:
            free = sent[-limit] + self._span
            if free > ready:
                ready = free
        tokens = self._tokens_now(now)
        if tokens < 1.0 - 1e-9:  # (the time this names must itself be ready)
            tokens_at = self._tokens_at
            refill_from = now if tokens_at is None or tokens_at < now else tokens_at
            refilled = refill_from + (1.0 - tokens) * self._span / self._limit
            if refilled > ready:
                ready = refilled
        return ready

    def utilization(self, now: float) -> float:
        """The fraction of the allowed rate used lately (a fading average over a tenth of the
        window): near 1 while the budget is what holds requests back."""
        return self._used_by(now) / (self.rate * self._use_memory)

    def use_falls_under(self, level: float, now: float) -> float:
        """When `utilization` falls under `level` if nothing more is sent (`now` if it is
        under already)."""
        use = self.utilization(now)
        if use < level:
            return now
        return now + self._use_memory * math.log(use / level) + FADE_STEP

    @property
    def _use_memory(self) -> float:
        """Seconds over which the count of requests used fades by a factor e."""
        return USE_MEMORY * self.window

    def _used_by(self, now: float) -> float:
        """The fading count of requests used, as it stands at `now`."""
        return self._used * math.exp(-(now - self._used_at) / self._use_memory)

    def spend(self, now: float) -> None:
        """Count one request leaving at `now` (which `ready_at` allowed)."""
        self._climb(now)
        self._expire(now)
        if not self._sent and now - max(self._last_throttle, self.paused_until) > self._span:
            self._began = now
        self._used = self._used_by(now) + 1.0
        self._used_at = now
        self._tokens = self._tokens_now(now) - 1.0
        self._tokens_at = now
        self._sent.append(now)

    def throttled(self, now: float, retry_after: float, sent_at: float) -> float | None:
        """The service answered 429 to a request sent at `sent_at`: wait, and learn. Returns,
        for the first 429 of an episode, what the window held as a fraction of the limit
        (None for the rest of an episode)."""
        self.throttles += 1
        self.paused_until = max(self.paused_until, now + retry_after)
        if sent_at < self._last_throttle:
            # It left before the episode's first 429 came back: that one taught us already.
            return None
        if self._filling_level and now >= self._forgiven_until:
            self._count_whole()
        held = float(self._held_at(sent_at))
        quiet_from = now
        fraction = held / self._limit
        when, _ = self._last_episode
        confirmed = self._confirmed and held <= self._confirmed * (1.0 + CONFIRM_NEAR)
        repeated = confirmed or now - when < CONFIRM_WINDOWS * self.window
        forgiving = bool(self._filling_level)
        if repeated and (forgiving or (held < NEAR_LIMIT * self._limit and self._filling(sent_at))):
            # We have sent for less than most of a window: others' requests fill the rest
            # of it, and whether they are a steady share or a burst that is passing, only
            # the window's end tells. Slow down to what fits now; learn nothing yet.
            # What we sent before is forgiven (see above). 429s meanwhile do not restart
            # the climb's wait: the one of two processes that met more of them climbed
            # later, held less when 429s came again, and learnt less.
            if forgiving:
                quiet_from = self._quiet_from
                if FILLING_AGAIN * self._limit < FORGIVEN_FLOOR * self._filling_level:
                    self._count_whole()
                    self._unforgiving_until = self._forgiven_until
                else:
                    self._limit = max(1.0, FILLING_AGAIN * self._limit)
            else:
                floor = FILLING_DROP * self._limit
                self._limit = min(self._limit, max(1.0, held * ONE_OFF_DECREASE, floor))
                if now >= self._unforgiving_until:
                    self._filling_level = self._limit
                    self._counted_from = now
                    self._forgiven_until = self._sent[0] + self._span if self._sent else now
        elif repeated:
            # Not a one-off (or near a level learnt before): about what the window held is
            # what fits (a lower real limit, or another client's steady share). Stay a little
            # below it; probe upwards after a few quiet windows.
            level = self._confirmed or self._last_episode[1]
            self._confirmed = held
            # Sharing the window with another client, yield a little more: of two clients,
            # the one that holds more meets more of the 429s, so both drift to a fair share.
            # By at most half at once: a young window may hold little of what we need.
            # 429s that meet the level they met before (a lower real limit, a budget shared
            # with our own other resources, a share that has settled) show what fits: stay
            # just under it, or a margin lost on every window adds up to more than the odd
            # 429 costs.
            if abs(held - level) <= CONFIRM_NEAR * level:
                margin = STABLE_MARGIN
                self._probe_after = min(PROBE_AFTER_MAX_WINDOWS, 2.0 * self._probe_after)
            elif held >= NEAR_LIMIT * self.configured:
                margin = CEILING_MARGIN
            else:
                margin = DECREASE
            floor = self._limit * (MAX_DROP if held >= NEAR_LIMIT * self._limit else IDLE_DROP)
            self._ceiling = min(self._ceiling, max(1.0, held * margin, floor))
            self._limit = min(self._limit, self._ceiling)
        elif held >= NEAR_LIMIT * self._limit:
            # Our own pace filled the window (arrival jitter at the service, or the last of
            # someone else's requests): back off a little, climb back once 429s stop.
            self._limit = min(self._limit, max(1.0, held * ONE_OFF_DECREASE))
        # Far below our limit, a one-off: someone else filled the window. Waiting is enough.
        self._last_episode = (now, held)
        self._last_throttle = now
        self._quiet_from = quiet_from
        # When the pause ends, one request may leave, then the even pace: nothing saved up
        # before the pause or during it leaves in a burst.
        self._tokens = 1.0
        self._tokens_at = max(now, self.paused_until)
        return fraction

    def resize(self, requests: float) -> None:
        """Allow `requests` per window from now on (a share of a pool, which learns the
        limit for its members: nothing is learnt here)."""
        self.configured = self._ceiling = self._limit = max(1.0, requests)

    @classmethod
    def pooled(cls, budgets: Sequence[RequestBudget]) -> RequestBudget:
        """One budget for `budgets` (their limits added up, their windows merged), as if one
        client had sent all their requests. What each learnt alone is left behind; what their
        windows held together when 429s met them all is the pool's first level."""
        first = budgets[0]
        pool = cls(int(first.configured), first.window)
        pool.configured = 0.0
        pool._used_at = first._used_at
        for budget in budgets:
            pool.absorb(budget)
        when, held = pool._last_episode
        if held and all(abs(budget._last_episode[0] - when) <= pool.window for budget in budgets):
            # Their 429s came together: what their windows held together is what fits.
            pool._confirmed = held
            pool._ceiling = pool._limit = min(pool._limit, max(1.0, held * STABLE_MARGIN))
        return pool

    def absorb(self, other: RequestBudget) -> None:
        """Take `other` in as part of this budget (resources found to share one budget at
        the service): its limit adds to the configured one, its requests to the window, its
        pause to ours; what was learnt from 429s stays (it is the shared limit's)."""
        learnt = self._ceiling < self.configured
        self.configured += other.configured
        if not learnt:
            self._ceiling = self._limit = self.configured
        self._sent = deque(sorted((*self._sent, *other._sent)))
        at = max(self._used_at, other._used_at)
        fade = math.exp(-(at - other._used_at) / self._use_memory)
        self._used = self._used_by(at) + other._used * fade
        self._used_at = at
        self.paused_until = max(self.paused_until, other.paused_until)
        if other._last_throttle > self._last_throttle:
            self._last_throttle = other._last_throttle
        self._quiet_from = max(self._quiet_from, other._last_throttle)  # (not forgiven)
        when, held = self._last_episode
        other_when, other_held = other._last_episode
        if abs(other_when - when) <= self.window:
            # One episode, seen by both: what the shared window held is the sum.
            self._last_episode = (max(when, other_when), held + other_held)
        elif other_when > when:
            self._last_episode = other._last_episode

    def _count_whole(self) -> None:
        """End the forgiveness of a filling drop (what we sent before it begins to leave the
        window, or too little leaves it for a pace worth the 429s): the window counts whole
        again, at the pace the drop set."""
        self._limit = max(self._limit, min(self._filling_level, self._ceiling))
        self._filling_level = 0.0
        self._counted_from = float("-inf")

    def _filling(self, moment: float) -> bool:
        """Whether we began sending less than `FILLING_WINDOWS` before `moment` (we are
        still filling our first window)."""
        return moment - self._began < FILLING_WINDOWS * self.window

    def _held_at(self, moment: float) -> int:
        """Our requests in the window that ends at `moment`."""
        horizon = moment - self._span
        held = 0
        for sent in reversed(self._sent):
            if sent <= horizon:
                break
            if sent <= moment:
                held += 1
        return held

    def _climb(self, now: float) -> None:
        """Raise the limit back towards the ceiling, and probe the ceiling, once 429s stop."""
        quiet = now - self._quiet_from
        since = now - self._climbed_at if self._climbed_at > float("-inf") else 0.0
        self._climbed_at = now
        if quiet < RECOVER_WINDOWS * self.window:
            return
        step = max(0.0, min(since, quiet - RECOVER_WINDOWS * self.window))
        if self._limit < self._ceiling:
            self._limit = min(self._ceiling, self._limit + step * self.configured / self.window)
        elif self._ceiling < self.configured and quiet > self._probe_after * self.window:
            probe = step * PROBE_RATE * self.configured / self.window
            self._ceiling = min(self.configured, self._ceiling + probe)
            self._limit = self._ceiling
            if self._confirmed and self.in_window(now) > self._confirmed * (1.0 + CONFIRM_NEAR):
                # The window held more than met 429s, without one: the share is free again.
                # Take it back at once (the limit climbs to the ceiling within a window); a
                # 429 on the way teaches the level anew.
                self._confirmed = 0.0
                self._ceiling = self.configured
                self._probe_after = PROBE_AFTER_WINDOWS

    def _burst(self) -> float:
        return max(MIN_BURST, BURST_FRACTION * self._limit)

    def _tokens_now(self, now: float) -> float:
        tokens_at = self._tokens_at
        if tokens_at is None or now <= tokens_at:
            return self._tokens
        refilled = self._tokens + (now - tokens_at) * self._limit / self._span
        burst = BURST_FRACTION * self._limit
        if burst < MIN_BURST:
            burst = MIN_BURST
        return refilled if refilled < burst else burst

    def _expire(self, now: float) -> None:
        horizon = now - self._span
        sent = self._sent
        while sent and sent[0] <= horizon:
            sent.popleft()
