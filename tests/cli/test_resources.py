"""The command line over several resources: repeated --endpoint with keys in the environment,
or a resources file; keys never shown, mistakes named before anything is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from asyncclassify._cli.resources import key_variable
from asyncclassify.emulator import Emulator

from .helpers import FAST, SINGLE, clean_env, jsonl, output_lines, run_cli

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture
async def two() -> AsyncIterator[tuple[Emulator, Emulator]]:
    async with (
        Emulator(timing=FAST, key="key-one") as one,
        Emulator(timing=FAST, key="key-two", seed=1) as other,
    ):
        yield one, other


@pytest.fixture
def tickets(tmp_path: Path) -> Path:
    path = tmp_path / "tickets.jsonl"
    path.write_bytes(jsonl([{"id": f"t{i}", "text": f"ticket {i}: refund"} for i in range(600)]))
    return path


def test_each_endpoints_key_has_a_variable_named_after_its_host() -> None:
    assert (
        key_variable("https://my-language-westeurope.cognitiveservices.azure.com/")
        == "AZURE_LANGUAGE_KEY_MY_LANGUAGE_WESTEUROPE"
    )
    assert key_variable("http://127.0.0.1:8001") == "AZURE_LANGUAGE_KEY_127_0_0_1_8001"


async def test_repeated_endpoints_share_the_run_with_keys_from_the_environment(
    two: tuple[Emulator, Emulator], tickets: Path
) -> None:
    one, other = two
    output = tickets.with_name("out.jsonl")
    env = clean_env(
        **{key_variable(one.endpoint): "key-one", key_variable(other.endpoint): "key-two"}
    )
    done = await run_cli(
        tickets, "-o", output, "--task", SINGLE,
        "--endpoint", one.endpoint, "--endpoint", other.endpoint,
        env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = output_lines(output)
    assert sorted(line["id"] for line in lines) == sorted(f"t{i}" for i in range(600))
    assert all("classes" in line for line in lines)
    assert one.stats()["jobs_created"] > 0
    assert other.stats()["jobs_created"] > 0
    assert one.stats()["jobs_created"] + other.stats()["jobs_created"] == 24
    assert b"by resource" in done.stderr
    assert b"key-one" not in done.stderr + done.stdout
    assert b"key-two" not in done.stderr + done.stdout


async def test_a_missing_key_of_one_endpoint_names_its_variable(
    two: tuple[Emulator, Emulator], tickets: Path
) -> None:
    one, other = two
    env = clean_env(**{key_variable(one.endpoint): "key-one"})
    done = await run_cli(
        tickets, "-o", "-", "--task", SINGLE,
        "--endpoint", one.endpoint, "--endpoint", other.endpoint,
        env=env,
    )  # fmt: skip
    assert done.returncode == 2
    assert key_variable(other.endpoint).encode() in done.stderr
    assert one.stats()["requests"] == {}


async def test_a_resources_file_names_endpoints_and_where_their_keys_are(
    two: tuple[Emulator, Emulator], tickets: Path, tmp_path: Path
) -> None:
    one, other = two
    key_file = tmp_path / "second.key"
    key_file.write_text("key-two\n")
    listing = tmp_path / "resources.toml"
    listing.write_text(
        f'[[resource]]\nendpoint = "{one.endpoint}"\nkey_env = "FIRST_KEY"\n\n'
        f'[[resource]]\nendpoint = "{other.endpoint}"\nkey_file = "{key_file}"\n'
        "requests_per_minute = 500\n"
    )
    output = tmp_path / "out.jsonl"
    done = await run_cli(
        tickets, "-o", output, "--task", SINGLE, "--resources", listing,
        env=clean_env(FIRST_KEY="key-one"),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(output_lines(output)) == 600
    assert one.stats()["jobs_created"] + other.stats()["jobs_created"] == 24


@pytest.mark.parametrize(
    ("field", "secret"),
    [("key", "s3cret-1"), ("key_env", "s3cr3t-k3y")],
    ids=["a-key-itself", "a-key-for-a-variable-name"],
)
async def test_a_key_in_a_resources_file_is_refused_unshown(
    tickets: Path, tmp_path: Path, field: str, secret: str
) -> None:
    listing = tmp_path / "resources.toml"
    listing.write_text(f'[[resource]]\nendpoint = "https://a.example.com"\n{field} = "{secret}"\n')
    done = await run_cli(tickets, "-o", "-", "--task", SINGLE, "--resources", listing)
    assert done.returncode == 2
    assert b"key_env" in done.stderr
    assert secret.encode() not in done.stderr
    assert b"Traceback" not in done.stderr


async def test_one_key_for_several_endpoints_is_refused(
    two: tuple[Emulator, Emulator], tickets: Path
) -> None:
    one, other = two
    done = await run_cli(
        tickets, "-o", "-", "--task", SINGLE, "--key", "key-one",
        "--endpoint", one.endpoint, "--endpoint", other.endpoint,
    )  # fmt: skip
    assert done.returncode == 2
    assert key_variable(other.endpoint).encode() in done.stderr
    assert b"key-one" not in done.stderr


async def test_endpoints_whose_keys_would_share_a_variable_are_refused(tickets: Path) -> None:
    done = await run_cli(
        tickets, "-o", "-", "--task", SINGLE,
        "--endpoint", "https://lang.westeurope.example.com",
        "--endpoint", "https://lang.eastus.example.com",
    )  # fmt: skip
    assert done.returncode == 2
    assert b"--resources" in done.stderr
