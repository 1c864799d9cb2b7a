"""Configuration errors raise early; a refused key raises from the iteration; keys stay hidden."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

import pytest

import asyncclassify as ac

from .conftest import EmulatorFactory, task_for

pytestmark = pytest.mark.anyio

SECRET = "s3cr3t-k3y-0123456789abcdef"
LOCAL = "http://127.0.0.1:9"


async def _no_results(stream: ac.ResultStream) -> None:
    async for _ in stream:
        pytest.fail("no result may come with a refused key")


def _assert_hidden(exc: BaseException) -> None:
    for text in (str(exc), repr(exc), *map(str, exc.args)):
        assert SECRET not in text


def test_unknown_api_version() -> None:
    with pytest.raises(ac.UnsupportedApiVersionError) as caught:
        ac.Client(LOCAL, SECRET, api_version="2099-01-01")
    message = str(caught.value)
    assert "2099-01-01" in message
    assert "2023-04-01" in message  # it says which versions exist
    assert isinstance(caught.value, ac.ConfigurationError)
    _assert_hidden(caught.value)


@pytest.mark.parametrize(
    "endpoint",
    ["http://example.com", "http://10.0.0.1:8080", "http://my-lang.cognitiveservices.azure.com"],
)
def test_plain_http_to_a_remote_host_is_refused(endpoint: str) -> None:
    with pytest.raises(ac.ConfigurationError) as caught:
        ac.Client(endpoint, SECRET)
    assert "http" in str(caught.value)
    _assert_hidden(caught.value)


@pytest.mark.parametrize(
    "endpoint",
    ["http://127.0.0.1:8000", "http://localhost:8000/", "http://[::1]:8000", "https://x.io"],
)
def test_loopback_http_and_https_are_accepted(endpoint: str) -> None:
    client = ac.Client(endpoint, SECRET)
    assert SECRET not in repr(client)


def test_insecure_http_can_be_allowed_explicitly() -> None:
    client = ac.Client("http://example.com", SECRET, allow_insecure_http=True)
    assert "example.com" in repr(client)


@pytest.mark.parametrize("endpoint", ["ftp://example.com", "example.com", "https://"])
def test_endpoint_must_be_an_http_url(endpoint: str) -> None:
    with pytest.raises(ac.ConfigurationError):
        ac.Client(endpoint, SECRET)


@pytest.mark.parametrize("key", ["", "   "])
def test_empty_key(key: str) -> None:
    with pytest.raises(ac.ConfigurationError, match="key"):
        ac.Client(LOCAL, key)


def test_credential_of_the_wrong_type() -> None:
    with pytest.raises(ac.ConfigurationError):
        ac.Client(LOCAL, 12345)  # type: ignore[arg-type]


def test_bad_language() -> None:
    with pytest.raises(ac.ConfigurationError):
        ac.Client(LOCAL, SECRET, language="")


@pytest.mark.parametrize(
    "make",
    [
        lambda: ac.Pacing(max_jobs_in_flight=0),
        lambda: ac.Pacing(max_jobs_in_flight=2.5),
        lambda: ac.Pacing(max_jobs_in_flight=True),
        lambda: ac.Pacing(max_bytes_in_flight=math.nan),
        lambda: ac.Pacing(first_poll=0),
        lambda: ac.Pacing(first_poll=math.inf),
        lambda: ac.Coalescing(linger=-1),
        lambda: ac.Coalescing(linger=math.inf),
        lambda: ac.Coalescing(max_pending=0),
        lambda: ac.Coalescing(max_pending=2.5),
        lambda: ac.Drainage(drain_after=math.nan),
        lambda: ac.Drainage(revive_after=math.inf),
        lambda: ac.Drainage(revive_after=0),
    ],
    ids=[
        "no-jobs", "half-a-job", "a-bool", "nan-bytes", "no-first-poll", "endless-first-poll",
        "negative-linger", "endless-linger", "no-pending", "half-pending", "nan-drain",
        "endless-revival", "instant-revival",
    ],
)  # fmt: skip
def test_settings_refuse_values_that_cannot_work(make: Callable[[], object]) -> None:
    with pytest.raises(ac.ConfigurationError, match="must be"):
        make()


def test_settings_take_any_real_number_and_endless_where_it_means_something() -> None:
    assert ac.Coalescing(linger=Fraction(3, 100)).linger == Fraction(3, 100)
    assert ac.RetryPolicy(horizon=math.inf, max_retry_after=math.inf).horizon == math.inf
    assert ac.Drainage(drain_after=math.inf).drain_after == math.inf
    assert ac.RetryPolicy(horizon=math.inf).backoff(5_000) <= ac.RetryPolicy().backoff_max


def test_a_budget_given_beside_resources_is_refused_not_ignored() -> None:
    resource = ac.Resource(LOCAL, SECRET)
    with pytest.raises(ac.ConfigurationError, match="each Resource"):
        ac.Client(resources=[resource], requests_per_minute=5)
    with pytest.raises(ac.ConfigurationError, match="each Resource"):
        ac.Client(resources=[resource], rate_window=1.0)
    assert ac.Client(LOCAL, SECRET, requests_per_minute=5).budget.configured == 5


@pytest.mark.parametrize(
    "task",
    [ac.SingleLabel(), ac.MultiLabel("genres"), ac.CustomEntities(deployment="prod")],
    ids=["nothing", "no-deployment", "no-project"],
)
@pytest.mark.parametrize("api_version", ["2023-04-01", "2022-04-01-preview", "v3.2-preview.2"])
async def test_missing_project_raises_at_stream(api_version: str, task: ac.Task) -> None:
    async with ac.Client(LOCAL, SECRET, api_version=api_version) as client:
        with pytest.raises(ac.ConfigurationError, match="project"):
            client.stream(["text"], task)
        with pytest.raises(ac.ConfigurationError, match="project"):
            await client.classify(["text"], task)


async def test_model_id_alone_is_not_enough_for_modern_versions() -> None:
    async with ac.Client(LOCAL, SECRET) as client:
        with pytest.raises(ac.ConfigurationError):
            client.stream(["text"], ac.SingleLabel(model_id="support-prod"))


async def test_missing_model_id_raises_at_stream() -> None:
    async with ac.Client(LOCAL, SECRET, api_version="v3.1-preview.ct.1") as client:
        with pytest.raises(ac.ConfigurationError, match="model_id"):
            client.stream(["text"], ac.SingleLabel("support", "prod"))


async def test_no_task_raises_at_stream() -> None:
    async with ac.Client(LOCAL, SECRET) as client:
        with pytest.raises(ac.ConfigurationError, match="task"):
            client.stream(["text"])


@pytest.mark.parametrize("api_version", ["2023-04-01", "v3.2-preview.2"])
async def test_wrong_key_raises_authentication_error(
    emulator: EmulatorFactory, api_version: str
) -> None:
    async with (
        emulator() as emu,
        ac.Client(
            emu.endpoint, SECRET, api_version=api_version, pacing=ac.Pacing(first_poll=0.02)
        ) as client,
    ):
        assert SECRET not in repr(client)
        stream = client.stream(["My invoice is wrong"] * 3, task_for("single", api_version))
        with pytest.raises(ac.AuthenticationError) as caught:
            await _no_results(stream)
        stats = emu.stats()
    error = caught.value
    assert error.status == 401
    assert error.request_id
    _assert_hidden(error)
    assert "emulator-key" not in str(error)
    assert stats["jobs_created"] == 0
    # Refused credentials are not retried.
    assert stats["requests"] == {"POST 401": 1}


async def test_wrong_key_raises_from_classify(emulator: EmulatorFactory) -> None:
    async with (
        emulator() as emu,
        ac.Client(emu.endpoint, SECRET, pacing=ac.Pacing(first_poll=0.02)) as client,
    ):
        with pytest.raises(ac.AuthenticationError) as caught:
            await client.classify(["text"], task_for("multi", "2023-04-01"))
    _assert_hidden(caught.value)


async def test_key_is_not_in_repr_or_exceptions_of_a_working_client(
    emulator: EmulatorFactory,
) -> None:
    async with emulator(key=SECRET) as emu:
        client = ac.Client(emu.endpoint, SECRET, pacing=ac.Pacing(first_poll=0.02))
        async with client:
            results = await client.classify(["hello"], task_for("single", "2023-04-01"))
            assert results[0].ok
            assert SECRET not in repr(client)
            assert SECRET not in repr(results)
            with pytest.raises(ac.ConfigurationError) as caught:
                client.stream(["x"], ac.SingleLabel())
            _assert_hidden(caught.value)
