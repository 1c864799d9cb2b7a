"""The request budget, in virtual time: an even pace, and what a 429 teaches."""

from __future__ import annotations

import itertools
from collections import deque

import pytest

from asyncclassify._pacing.budget import WINDOW_MARGIN, RequestBudget

WINDOW = 6.0
LIMIT = 100


def _send_until(budget: RequestBudget, until: float, start: float = 0.0) -> list[float]:
    """Send whenever the budget allows, from `start` to `until`; the send times."""
    sent: list[float] = []
    now = start
    while True:
        now = budget.ready_at(now)
        if now >= until:
            return sent
        budget.spend(now)
        sent.append(now)


def _serve(service: deque[float], limit: int, budget: RequestBudget, now: float) -> bool:
    """A service's sliding window of `limit` requests meets one sent at `now` by `budget`:
    whether it is served (if not, the budget hears a 429 soon after)."""
    while service and service[0] <= now - WINDOW:
        service.popleft()
    if len(service) >= limit:
        budget.throttled(now=now + 0.01, retry_after=service[0] + WINDOW - now, sent_at=now)
        return False
    service.append(now)
    return True


def test_requests_leave_at_an_even_pace_within_the_window() -> None:
    budget = RequestBudget(LIMIT, WINDOW)
    sent = _send_until(budget, 3 * WINDOW)
    # Two at once, then one request per limit/window: never a window's worth at once.
    assert sent[1] < 0.01 < sent[2]
    in_second_window = [t for t in sent if WINDOW <= t < 2 * WINDOW]
    assert len(in_second_window) == pytest.approx(LIMIT / WINDOW_MARGIN, abs=2)
    step = WINDOW * WINDOW_MARGIN / LIMIT
    assert max(later - earlier for earlier, later in itertools.pairwise(sent)) < 2.5 * step
    for earlier, later in zip(sent, sent[LIMIT:], strict=False):
        assert later - earlier >= WINDOW  # at most LIMIT in any window
    assert len(sent) == pytest.approx(3 * LIMIT / WINDOW_MARGIN, abs=3)
    assert budget.utilization(3 * WINDOW) == pytest.approx(1.0, abs=0.05)


def test_a_quiet_spell_saves_up_only_a_small_burst() -> None:
    budget = RequestBudget(1000, 60.0)
    budget.spend(0.0)
    burst = [t for t in _send_until(budget, 100.0, start=100.0)]
    assert burst == []  # nothing asked between 0 and 100: the first send is at 100
    sent_at_100 = 0
    now = 100.0
    while budget.ready_at(now) == now:
        budget.spend(now)
        sent_at_100 += 1
    assert sent_at_100 == 20  # 2% of the limit
    assert budget.utilization(200.0) < 0.01


def test_a_one_off_429_far_below_our_limit_only_pauses() -> None:
    # An earlier run filled the window: wait as asked, keep the limit.
    budget = RequestBudget(LIMIT, WINDOW)
    _send_until(budget, 0.5)
    budget.throttled(now=0.5, retry_after=2.0, sent_at=0.49)
    assert budget.limit == LIMIT
    assert budget.ready_at(0.5) == pytest.approx(2.5)


def test_a_one_off_429_near_our_limit_backs_off_then_climbs_back_within_two_windows() -> None:
    budget = RequestBudget(LIMIT, WINDOW)
    sent = _send_until(budget, WINDOW * 1.5)
    budget.throttled(now=sent[-1] + 0.01, retry_after=0.1, sent_at=sent[-1])
    lowered = budget.limit
    assert 0.85 * LIMIT <= lowered < LIMIT
    assert budget.ceiling == LIMIT  # one 429 proves nothing yet
    _send_until(budget, WINDOW * 3.6, start=WINDOW * 1.5)
    assert budget.limit == LIMIT


def test_a_second_episode_soon_after_teaches_a_ceiling_held_for_many_windows() -> None:
    # The service allows 60 per window, the budget was told 100.
    budget = RequestBudget(LIMIT, WINDOW)
    service: deque[float] = deque()
    episodes: list[float] = []
    learnt: list[int] = []  # the ceiling after each episode
    now = 0.0
    while now < 20 * WINDOW:
        now = budget.ready_at(now)
        budget.spend(now)
        if not _serve(service, 60, budget, now) and (not episodes or now - episodes[-1] > 0.5):
            episodes.append(now)
            learnt.append(budget.ceiling)
    # A few episodes close together teach it: those of the first window only slow the pace
    # (a window we are still filling tells how long we have sent, not our share), each
    # later one drops the ceiling by at most a fifth while the window held far less than
    # our limit; then the ceiling is probed after a window without 429s, then after two (a
    # share left idle by another client that finished is lost for good), and each probe
    # that meets a 429 costs one episode: no more than one every 1.5 windows.
    taught = next(i for i, ceiling in enumerate(learnt) if ceiling <= 60)
    assert taught <= 5, learnt
    assert episodes[taught] < 6 * WINDOW, episodes
    later = episodes[taught + 1 :]
    assert later
    assert all(b - a >= 1.5 * WINDOW for a, b in itertools.pairwise(episodes[taught:]))
    assert len(later) <= 20 / 2
    # Each episode from then on puts the ceiling just under the service's limit.
    assert all(0.9 * 60 <= ceiling <= 60 for ceiling in learnt[taught:]), learnt


@pytest.mark.parametrize("prefill", [30, 50, 70])
def test_two_clients_starting_in_a_window_filled_before_them_take_it_all_back_soon(
    prefill: int,
) -> None:
    # An earlier run sent `prefill` requests over the window before two clients on one key
    # begin together. While they fill the window, 429s come again and again; what each holds
    # then says how long it has been sending, not its share: they slow down, learn nothing,
    # and once the earlier run's requests have left, share the whole limit. (Taken as a
    # level that fits, the 429s of the first window had taught them ceilings that left a
    # fifth of the limit idle for windows.)
    served, _, _ = _two_clients_after_prefill(prefill, windows=6)
    assert sum(served[3:]) >= 0.9 * 3 * LIMIT, served


@pytest.mark.parametrize("prefill", [60, 70, 85])
def test_two_clients_starting_in_a_filled_window_use_what_leaves_it_meanwhile(
    prefill: int,
) -> None:
    # The first 429s come before either client has sent for most of a window, so each slows
    # down. Counting what it sent before against the slower pace held both back until their
    # own first requests left the window: most of a window idle while the earlier run's
    # requests left it (146-158 of 200 served in two windows). The slower pace applies to
    # what is sent from then on; a few more 429s find the pace that fits meanwhile.
    served, throttled, _ = _two_clients_after_prefill(prefill, windows=2)
    assert sum(served) >= 0.85 * 2 * LIMIT, served
    assert throttled <= 15


def _two_clients_after_prefill(
    prefill: int, windows: int, lag: float = 0.003
) -> tuple[list[int], int, list[list[int]]]:
    """Two clients on one key begin together (the second `lag` seconds later), `prefill`
    requests of an earlier run spread over the window before; each sends whenever its
    budget allows. Requests served per window, the 429s, and each client's served per
    window."""
    clients = [RequestBudget(LIMIT, WINDOW), RequestBudget(LIMIT, WINDOW)]
    service = deque(-WINDOW + WINDOW * (k + 1) / prefill for k in range(prefill))
    each = [[0] * windows, [0] * windows]
    throttled = 0
    clock = [0.0, lag]
    while min(clock) < windows * WINDOW:
        who = 0 if clock[0] <= clock[1] else 1
        budget = clients[who]
        now = clock[who] = budget.ready_at(clock[who])
        if now >= windows * WINDOW:
            clock[who] = windows * WINDOW
            continue
        budget.spend(now)
        if _serve(service, LIMIT, budget, now):
            each[who][int(now / WINDOW)] += 1
        else:
            throttled += 1
    return [first + second for first, second in zip(*each, strict=True)], throttled, each


@pytest.mark.parametrize("prefill", [60, 70, 85])
@pytest.mark.parametrize("lag", [0.003, 0.013, 0.05])
def test_two_clients_starting_together_after_an_earlier_run_share_alike(
    prefill: int, lag: float
) -> None:
    # The 429s of the first window fall on the two unevenly. Had each restarted the wait
    # before its limit climbs back, the one that met more would have climbed later, held
    # less when 429s came again, and learnt a smaller share: half of the other's, at
    # worst, the smaller one left alone and slow at the end of the run.
    _, _, each = _two_clients_after_prefill(prefill, windows=5, lag=lag)
    first, second = sum(each[0][2:]), sum(each[1][2:])
    assert min(first, second) >= 0.85 * max(first, second), each


def test_429s_of_requests_already_under_way_are_one_episode() -> None:
    budget = RequestBudget(LIMIT, WINDOW)
    sent = _send_until(budget, WINDOW)
    budget.throttled(now=sent[-1] + 0.02, retry_after=0.5, sent_at=sent[-1])
    for late in sent[-6:-1]:
        # Sent before the first 429 came back: no second episode, no ceiling learnt.
        budget.throttled(now=sent[-1] + 0.03, retry_after=0.5, sent_at=late)
    assert budget.ceiling == LIMIT


def test_two_clients_on_one_key_settle_at_a_fair_share_together() -> None:
    clients = [RequestBudget(LIMIT, WINDOW), RequestBudget(LIMIT, WINDOW)]
    service: deque[float] = deque()
    throttled_at: list[float] = []
    sent = [0, 0]
    late = [0, 0]
    clock = [0.0, 0.003]
    horizon = 30 * WINDOW
    while min(clock) < horizon:
        who = 0 if clock[0] <= clock[1] else 1
        budget = clients[who]
        now = budget.ready_at(clock[who])
        clock[who] = now
        if now >= horizon:
            clock[who] = horizon
            continue
        budget.spend(now)
        if not _serve(service, LIMIT, budget, now):
            throttled_at.append(now)
        else:
            sent[who] += 1
            if now > horizon - 10 * WINDOW:
                late[who] += 1
    # Together nearly the whole limit over the last ten windows, shared fairly. Each probes
    # its ceiling every two windows or so (should the other have finished, its share would
    # be idle until then), a 429 or two each time: one request or so in a hundred at this
    # budget of a hundred a window, one in a thousand at the service's thousand.
    assert sum(late) >= 0.9 * 10 * LIMIT
    assert min(late) >= 0.4 * sum(late)
    assert sum(1 for t in throttled_at if t > horizon - 10 * WINDOW) <= 15
    assert len(throttled_at) <= 0.015 * sum(sent)


@pytest.mark.parametrize("stops", [8.0, 9.3, 11.7, 14.2, 20.5])
def test_a_share_another_client_leaves_is_taken_back_within_a_few_windows(stops: float) -> None:
    stops *= WINDOW
    clients = [RequestBudget(LIMIT, WINDOW), RequestBudget(LIMIT, WINDOW)]
    service: deque[float] = deque()
    clock = [0.0, 0.003]
    horizon = stops + 10 * WINDOW  # the second client's run ends at `stops`
    ours = [0] * int(horizon / WINDOW + 1)  # our requests served, per window
    throttled = [0, 0]
    lowest = LIMIT
    while clock[0] < horizon:
        who = 0 if clock[0] <= clock[1] or clock[1] >= stops else 1
        budget = clients[who]
        now = budget.ready_at(clock[who])
        clock[who] = now
        if (who == 1 and now >= stops) or now >= horizon:
            clock[who] = horizon
            continue
        budget.spend(now)
        if not _serve(service, LIMIT, budget, now):
            throttled[who] += 1
        elif who == 0:
            ours[int(now / WINDOW)] += 1
        lowest = min(lowest, clients[0].ceiling)
    assert lowest < 0.7 * LIMIT  # (it had learnt to leave the other a share)
    # The probes that found the share still taken cost a few 429s in all...
    assert max(throttled) <= 15
    # ...and within four windows of the other's end (up to two quiet ones before a probe,
    # then the climb), the whole limit is ours again, and stays so.
    after = int(stops / WINDOW) + 1
    back = next(i for i, served in enumerate(ours) if i >= after and served >= 0.9 * LIMIT)
    assert back * WINDOW - stops <= 4 * WINDOW
    assert all(served >= 0.9 * LIMIT for served in ours[back:-1])


def test_invalid_budgets_are_refused() -> None:
    with pytest.raises(ValueError, match="budget"):
        RequestBudget(0, 1.0)
    with pytest.raises(ValueError, match="budget"):
        RequestBudget(10, 0.0)


def test_a_limit_met_at_the_same_level_again_is_used_nearly_whole() -> None:
    # The service allows 60 per window, the budget was told 100 (a wrong setting, or four
    # resources that are one budget): once 429s keep meeting the same level, the budget
    # stays just under it, not a share's margin below.
    budget = RequestBudget(LIMIT, WINDOW)
    service: deque[float] = deque()
    served = 0
    now = 0.0
    while now < 30 * WINDOW:
        now = budget.ready_at(now)
        budget.spend(now)
        if _serve(service, 60, budget, now) and now >= 20 * WINDOW:
            served += 1
    assert served >= 0.96 * 60 * 10, served


def test_a_client_with_little_to_send_does_not_learn_a_ceiling_at_its_need() -> None:
    # Twenty requests a window of our hundred, and 429s twice: someone else filled the
    # window. What we happened to send is no measure of our share: the limit drops by a
    # fifth, not to twenty (and a few more 429s would find the level if it is lower).
    budget = RequestBudget(LIMIT, WINDOW)
    for i in range(20):
        budget.spend(i * WINDOW / 20)
    budget.throttled(now=WINDOW, retry_after=0.5, sent_at=WINDOW - 0.01)
    budget.spend(WINDOW + 1.0)
    budget.throttled(now=WINDOW + 1.1, retry_after=0.5, sent_at=WINDOW + 1.0)
    assert 0.75 * LIMIT <= budget.ceiling < LIMIT


def test_a_window_filled_by_bursts_that_pass_is_taken_back_soon_after() -> None:
    # Another process sends two bursts of half the limit within two windows, then stops (a
    # short run of its own). Our 429s meet the level twice and teach a ceiling; once the
    # bursts have passed, the first probe comes after a single quiet window, not three.
    budget = RequestBudget(LIMIT, WINDOW)
    service: deque[float] = deque()
    bursts = [0.5 * WINDOW, 1.5 * WINDOW]
    served = [0] * 10
    lowest = LIMIT
    now = 0.0
    while True:
        now = budget.ready_at(now)
        if now >= len(served) * WINDOW:
            break
        while bursts and bursts[0] <= now:
            service.extend([bursts.pop(0)] * (LIMIT // 2))
        budget.spend(now)
        if _serve(service, LIMIT, budget, now):
            served[int(now / WINDOW)] += 1
        lowest = min(lowest, budget.ceiling)
    assert lowest <= 0.8 * LIMIT, lowest  # (the 429s taught it a ceiling)
    # The second burst is gone from the window at 2.5 windows; ours again by window 5.
    back = next(i for i, count in enumerate(served) if i >= 3 and count >= 0.9 * LIMIT)
    assert back <= 5, served
    assert all(count >= 0.9 * LIMIT for count in served[back:-1]), served


def _forgiving_budget() -> RequestBudget:
    """A budget of 100 a window of one second that met 429s while filling its first window:
    what it sent before is forgiven until 1.01."""
    budget = RequestBudget(100, 1.0)
    for index in range(20):
        budget.spend(index * 0.01)
    budget.throttled(now=0.2, retry_after=0.0, sent_at=0.19)
    budget.spend(0.21)
    budget.throttled(now=0.25, retry_after=0.0, sent_at=0.21)
    return budget


@pytest.mark.parametrize("asked_in_between", [False, True])
def test_a_429_after_the_forgiveness_ended_teaches_whatever_was_asked_before(
    asked_in_between: bool,
) -> None:
    # The forgiveness ends when what was sent before begins to leave the window, whether or
    # not the pacer asked `ready_at` since: a 429 after it is read as any other.
    budget = _forgiving_budget()
    now = 0.3
    while (now := budget.ready_at(now)) < 1.0:
        budget.spend(now)
    budget.ready_at(1.0)
    budget.spend(1.0)
    if asked_in_between:
        budget.ready_at(1.015)
    budget.throttled(now=1.02, retry_after=0.0, sent_at=1.0)
    assert budget.ceiling < 100
    assert budget.ready_at(1.03) >= 1.03
    assert budget.limit <= budget.ceiling


def test_a_pool_waits_a_quiet_window_after_its_members_latest_429() -> None:
    # A member's 429s while forgiven do not delay its own climb; a pool formed from them
    # learns its level from those 429s, so it waits a window after the latest of them.
    members = [_forgiving_budget(), _forgiving_budget()]
    for member in members:
        member.spend(0.9)
        member.throttled(now=0.95, retry_after=0.0, sent_at=0.9)
    pool = RequestBudget.pooled(members)
    ceiling = pool.ceiling
    for moment in (1.26, 1.5, 1.9):
        pool.spend(moment)
    assert pool.ceiling == ceiling


def test_a_fading_use_falls_under_a_level_when_the_budget_says() -> None:
    budget = RequestBudget(LIMIT, WINDOW)
    sent = _send_until(budget, WINDOW)
    now = sent[-1]
    assert budget.utilization(now) >= 0.9
    under = budget.use_falls_under(0.5, now)
    assert under > now
    assert 0.499 < budget.utilization(under) < 0.5
    assert budget.use_falls_under(0.5, under) == under  # (under already: now)
