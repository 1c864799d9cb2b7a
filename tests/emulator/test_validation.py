"""Request validation with the service's status codes and error envelopes."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from .conftest import ClientFactory
from .helpers import MODERN_JOBS, Client, documents, modern_body, modern_task

pytestmark = pytest.mark.anyio

SUBMIT = f"{MODERN_JOBS}?api-version=2023-04-01"


async def rejected(
    client: Client, body: Any = None, raw: bytes | None = None
) -> tuple[int, dict[str, Any]]:
    status, error, response = await client.request("POST", SUBMIT, body=body, raw=raw)
    assert response.headers["apim-request-id"]
    assert client.emulator.stats()["jobs_created"] == 0
    return status, error["error"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Ocp-Apim-Subscription-Key": "wrong"}, {"Authorization": "Bearer nope"}],
)
async def test_wrong_or_missing_key_is_401_from_the_gateway(
    client: Client, headers: dict[str, str]
) -> None:
    status, body, response = await client.request(
        "POST", SUBMIT, body=modern_body(documents(1)), headers=headers
    )
    assert status == 401
    assert list(body) == ["error"]
    assert body["error"]["code"] == "401"
    assert response.headers["Content-Type"] == "application/json"
    assert "x-envoy-upstream-service-time" not in response.headers
    assert "Ocp-Apim-Subscription-Key" in response.headers["WWW-Authenticate"]


async def test_bearer_tokens_are_accepted(emulated: ClientFactory) -> None:
    async with emulated(bearer_tokens=["t0k3n"]) as client:
        url = await client.submit(modern_body(documents(1)))
        status, _, _ = await client.request("GET", url, headers={"Authorization": "Bearer t0k3n"})
    assert status == 200


async def test_too_many_documents(client: Client) -> None:
    status, error = await rejected(client, modern_body(documents(26)))
    assert (status, error["code"], error["innererror"]["code"]) == (
        400, "InvalidRequest", "InvalidDocumentBatch"
    )  # fmt: skip


async def test_request_text_budget_counts_grapheme_clusters(client: Client) -> None:
    accented = "e\u0301"  # one grapheme cluster, two code points
    half = [{"id": str(i), "text": accented * 62_500} for i in range(2)]
    status, _, _ = await client.request("POST", SUBMIT, body=modern_body(half))
    assert status == 202
    over = [*half, {"id": "x", "text": "a"}]
    status, error, _ = await client.request("POST", SUBMIT, body=modern_body(over))
    assert (status, error["error"]["innererror"]["code"]) == (400, "InvalidDocumentBatch")


async def test_body_over_one_megabyte_is_413(client: Client) -> None:
    body = modern_body([{"id": "1", "text": "a " * 600_000}])
    status, error = await rejected(client, body)
    assert (status, error["code"]) == (413, "InvalidRequest")


async def test_duplicate_ids(client: Client) -> None:
    docs = [{"id": "1", "text": "a"}, {"id": "1", "text": "b"}]
    status, error = await rejected(client, modern_body(docs))
    assert (status, error["code"]) == (400, "InvalidArgument")


@pytest.mark.parametrize(
    ("body", "inner"),
    [
        ({"tasks": [modern_task()]}, "InvalidRequestBodyFormat"),
        ({"analysisInput": {"documents": documents(1)}}, "InvalidRequestBodyFormat"),
        (modern_body([{"text": "no id"}]), "InvalidRequestBodyFormat"),
        (modern_body([{"id": "1"}]), "InvalidRequestBodyFormat"),
        (modern_body([]), "MissingInputDocuments"),
        (
            modern_body(
                documents(1),
                {
                    "kind": "CustomSingleLabelClassification",
                    "parameters": {"projectName": "support"},
                },
            ),
            "InvalidRequestBodyFormat",
        ),
        (
            modern_body(documents(1), {"kind": "SentimentAnalysis", "parameters": {}}),
            "InvalidParameterValue",
        ),
        (
            modern_body(documents(1), modern_task("entities", stringIndexType="Bytes")),
            "InvalidParameterValue",
        ),
        (modern_body([{"id": "1", "text": ""}, {"id": "2", "text": "  "}]), "InvalidDocumentBatch"),
        ([1, 2], "InvalidRequestBodyFormat"),
    ],
)
async def test_invalid_bodies(client: Client, body: Any, inner: str) -> None:
    status, error = await rejected(client, body)
    assert (status, error["code"], error["innererror"]["code"]) == (400, "InvalidRequest", inner)


async def test_malformed_json(client: Client) -> None:
    status, error = await rejected(client, raw=b'{"analysisInput": ')
    assert (status, error["innererror"]["code"]) == (400, "InvalidRequestBodyFormat")


@pytest.mark.parametrize("version", ["2021-01-01", None])
async def test_unknown_api_version(client: Client, version: str | None) -> None:
    query = f"?api-version={version}" if version else ""
    status, body, _ = await client.request(
        "POST", MODERN_JOBS + query, body=modern_body(documents(1))
    )
    assert (status, body["error"]["code"]) == (404, "404")


async def test_unknown_project_fails_the_task_not_the_submit(client: Client) -> None:
    body = modern_body(
        documents(1),
        modern_task("single"),
        modern_task("multi", projectName="nope"),
        modern_task("entities", projectName="support"),  # a single-label project
    )
    job = await client.wait(await client.submit(body))
    assert job["status"] == "partiallyCompleted"
    assert [e["target"] for e in job["errors"]] == ["#/tasks/items/1", "#/tasks/items/2"]
    assert job["errors"][0]["code"] == "NotFound"
    assert [i["status"] for i in job["tasks"]["items"]] == ["succeeded", "failed", "failed"]
    assert "results" not in job["tasks"]["items"][1]
    assert (job["tasks"]["completed"], job["tasks"]["failed"]) == (1, 2)
    only_missing = await client.wait(
        await client.submit(modern_body(documents(1), modern_task("single", deploymentName="x")))
    )
    assert only_missing["status"] == "failed"


async def test_empty_text_and_unsupported_language_are_document_errors(client: Client) -> None:
    docs = [
        {"id": "ok", "text": "fine", "language": "EN"},
        {"id": "empty", "text": "", "language": "en"},
        {"id": "lang", "text": "hello", "language": "tlh"},
        {"id": "nolang", "text": "hello"},
    ]
    job = await client.wait(await client.submit(modern_body(docs)))
    assert job["status"] == "succeeded"
    results = job["tasks"]["items"][0]["results"]
    assert [d["id"] for d in results["documents"]] == ["ok", "nolang"]
    errors = {e["id"]: e["error"] for e in results["errors"]}
    assert errors["empty"]["code"] == "InvalidArgument"
    assert errors["empty"]["innererror"]["code"] == "InvalidDocument"
    assert errors["lang"]["innererror"]["code"] == "UnsupportedLanguageCode"


async def test_error_envelope_is_json_with_backend_headers(client: Client) -> None:
    status, body, response = await client.request("POST", SUBMIT, raw=b"nope")
    assert status == 400
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["x-ms-error-code"] == "InvalidRequest"
    assert orjson.loads(orjson.dumps(body)) == body
