"""The command line: first stdout line is the base URL; it serves until a signal."""

from __future__ import annotations

import signal
import subprocess
import sys

import aiohttp
import anyio
import pytest

from asyncclassify.emulator.cli import build_parser, emulator_from_args

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_serves_until_signalled(signum: signal.Signals) -> None:
    command = [
        sys.executable, "-m", "asyncclassify.emulator", "--port", "0", "--key", "k",
        "--project", "tickets:v1:single", "--rate-limit", "100/6", "--fast",
    ]  # fmt: skip
    process = await anyio.open_process(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    async with process:
        assert process.stdout is not None
        with anyio.fail_after(20):
            line = b""
            while not line.endswith(b"\n"):
                line += await process.stdout.receive(1)
            endpoint = line.decode().strip()
            assert endpoint.startswith("http://127.0.0.1:")
            async with aiohttp.ClientSession() as session:
                body = {
                    "analysisInput": {"documents": [{"id": "1", "text": "hi"}]},
                    "tasks": [{"kind": "CustomSingleLabelClassification",
                               "parameters": {"projectName": "tickets", "deploymentName": "v1"}}],
                }  # fmt: skip
                async with session.post(
                    f"{endpoint}/language/analyze-text/jobs?api-version=2023-04-01",
                    json=body,
                    headers={"Ocp-Apim-Subscription-Key": "k"},
                ) as response:
                    assert response.status == 202
            process.send_signal(signum)
            assert await process.wait() == 0


def test_arguments_build_the_emulator() -> None:
    args = build_parser().parse_args(
        ["--project", "a:b:multi:X,Y", "--rate-limit", "none", "--fault", "job_failed=0.5",
         "--base", "0.1", "--seed", "4", "--page-size", "5"]
    )  # fmt: skip
    emulator = emulator_from_args(args)
    (project,) = emulator.service.projects.values()
    assert (project.name, project.deployment, project.kind, project.labels) == (
        "a",
        "b",
        "multi",
        ("X", "Y"),
    )
    assert emulator.service.limiter.limit is None
    assert emulator.service.faults.faults.job_failed == 0.5
    assert emulator.service.store.timing.base == 0.1
    assert emulator.service.store.timing.queue_delay == 0.5  # service-like default kept
    assert emulator.service.page_size == 5


@pytest.mark.parametrize(
    "argv", [["--project", "a:b:bogus"], ["--rate-limit", "x/y"], ["--fault", "meteor=1"]]
)
def test_bad_arguments_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        build_parser().parse_args(argv)
    assert excinfo.value.code == 2
