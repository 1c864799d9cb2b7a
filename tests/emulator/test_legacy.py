"""The legacy dialect: task families, `state`, doc shapes, `@nextLink`."""

from __future__ import annotations

import pytest

from asyncclassify.emulator import Timing

from .conftest import ClientFactory
from .helpers import Client, documents

pytestmark = pytest.mark.anyio


def legacy_body(docs: list[dict[str, str]], tasks: dict[str, object]) -> dict[str, object]:
    return {"analysisInput": {"documents": docs}, "tasks": tasks}


def params(project: str) -> dict[str, object]:
    return {"parameters": {"project-name": project, "deployment-name": "prod"}}


async def test_v32_shapes(client: Client) -> None:
    tasks = {
        "customSingleClassificationTasks": [{"taskName": "route", **params("support")}],
        "customMultiClassificationTasks": [params("genres")],
        "customEntityRecognitionTasks": [params("loans")],
    }
    url = await client.submit_legacy(legacy_body(documents(2, "Ana Díaz paid $5"), tasks))
    jobs = f"{client.emulator.endpoint}/text/analytics/v3.2-preview.2/analyze/jobs/"
    assert url == jobs + url.split("/")[-1]
    job = await client.wait(url)
    assert list(job)[:6] == [
        "jobId", "lastUpdateDateTime", "createdDateTime", "expirationDateTime", "status", "errors"
    ]  # fmt: skip
    families = job["tasks"]
    assert set(families) == {
        "completed", "failed", "inProgress", "total", *tasks,
    }  # fmt: skip
    single = families["customSingleClassificationTasks"][0]
    assert list(single) == ["lastUpdateDateTime", "taskName", "state", "results"]
    assert single["state"] == "succeeded"
    assert set(single["results"]["documents"][0]["classification"]) == {
        "category",
        "confidenceScore",
    }
    multi = families["customMultiClassificationTasks"][0]
    assert "taskName" not in multi
    assert isinstance(multi["results"]["documents"][0]["classifications"], list)
    entities = families["customEntityRecognitionTasks"][0]["results"]["documents"][0]["entities"]
    assert {e["text"] for e in entities} >= {"Ana Díaz"}


async def test_families_absent_until_finished(emulated: ClientFactory) -> None:
    async with emulated(timing=Timing(queue_delay=5)) as client:
        url = await client.submit_legacy(
            legacy_body(documents(1), {"customClassificationTasks": [params("support")]})
        )
        job = await client.get(url)
    assert job["status"] == "notStarted"
    assert job["tasks"] == {"completed": 0, "failed": 0, "inProgress": 1, "total": 1}


async def test_old_single_label_key_is_accepted_and_echoed(client: Client) -> None:
    body = legacy_body(documents(1), {"customClassificationTasks": [params("support")]})
    job = await client.wait(await client.submit_legacy(body))
    assert job["tasks"]["customClassificationTasks"][0]["state"] == "succeeded"


async def test_ct1_uses_model_id_and_classes(client: Client) -> None:
    tasks = {
        "customClassificationTasks": [{"parameters": {"modelId": "support-prod"}}],
        "customMultiClassificationTasks": [{"parameters": {"modelId": "genres-prod"}}],
    }
    url = await client.submit_legacy(legacy_body(documents(1), tasks), "v3.1-preview.ct.1")
    assert "/text/analytics/v3.1-preview.ct.1/analyze/jobs/" in url
    job = await client.wait(url)
    single = job["tasks"]["customClassificationTasks"][0]["results"]["documents"][0]
    assert len(single["classes"]) == 1
    multi = job["tasks"]["customMultiClassificationTasks"][0]["results"]["documents"][0]
    assert isinstance(multi["classes"], list)


async def test_failed_task_points_into_its_family(client: Client) -> None:
    tasks = {
        "customSingleClassificationTasks": [params("support")],
        "customEntityRecognitionTasks": [params("loans"), params("missing")],
    }
    job = await client.wait(await client.submit_legacy(legacy_body(documents(1), tasks)))
    assert job["status"] == "partiallyCompleted"
    (error,) = job["errors"]
    assert error["code"] == "InternalServerError"
    assert error["target"] == "#/tasks/customEntityRecognitionTasks/1"
    assert "v3.2-preview.2/custom/entities/general" in error["message"]
    failed = job["tasks"]["customEntityRecognitionTasks"][1]
    assert failed["state"] == "failed"
    assert "results" not in failed


async def test_legacy_paging(client: Client) -> None:
    body = legacy_body(documents(25), {"customSingleClassificationTasks": [params("support")]})
    url = await client.submit_legacy(body)
    await client.wait(url)
    first = await client.get(url + "?showStats=False")
    assert first["@nextLink"] == f"{url}?$skip=20&$top=5&showStats=False"
    docs = first["tasks"]["customSingleClassificationTasks"][0]["results"]["documents"]
    assert len(docs) == 20
    second = await client.get(first["@nextLink"])
    assert "@nextLink" not in second
    docs = second["tasks"]["customSingleClassificationTasks"][0]["results"]["documents"]
    assert [d["id"] for d in docs] == [str(i) for i in range(20, 25)]
    window = await client.get(url + "?$top=3&$skip=4")
    docs = window["tasks"]["customSingleClassificationTasks"][0]["results"]["documents"]
    assert [d["id"] for d in docs] == ["4", "5", "6"]
    assert window["@nextLink"] == f"{url}?$skip=7&$top=18"


async def test_legacy_has_no_cancel_and_jobs_stay_in_their_dialect(client: Client) -> None:
    body = legacy_body(documents(1), {"customSingleClassificationTasks": [params("support")]})
    url = await client.submit_legacy(body)
    status, error, _ = await client.request("DELETE", url)
    assert status == 404
    job_id = url.split("/")[-1]
    status, error, _ = await client.request(
        "GET", f"/language/analyze-text/jobs/{job_id}?api-version=2023-04-01"
    )
    assert (status, error["error"]["code"]) == (404, "NotFound")
    other = url.replace("v3.2-preview.2", "v3.1-preview.ct.1")
    assert (await client.request("GET", other))[0] == 404


async def test_legacy_validation_codes(client: Client) -> None:
    status, error, _ = await client.request(
        "POST",
        "/text/analytics/v3.2-preview.2/analyze",
        body=legacy_body([], {"customSingleClassificationTasks": [params("support")]}),
    )
    assert status == 400
    assert error["error"]["innererror"]["code"] == "MissingInputRecords"
    docs = [{"id": "1", "text": "a"}, {"id": "1", "text": "b"}]
    status, error, _ = await client.request(
        "POST",
        "/text/analytics/v3.2-preview.2/analyze",
        body=legacy_body(docs, {"customSingleClassificationTasks": [params("support")]}),
    )
    assert status == 400
    assert error == {"error": {"code": "InvalidArgument", "message": error["error"]["message"]}}
    status, error, _ = await client.request(
        "POST",
        "/text/analytics/v3.2-preview.2/analyze",
        body=legacy_body(documents(1), {"sentimentAnalysisTasks": [{}]}),
    )
    assert (status, error["error"]["innererror"]["code"]) == (400, "InvalidParameterValue")
    status, error, _ = await client.request(
        "POST", "/text/analytics/v3.0/analyze", body=legacy_body(documents(1), {})
    )
    assert (status, error["error"]["code"]) == (404, "404")
