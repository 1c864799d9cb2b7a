"""The emulator's HTTP surface: routes, authentication, rate limit, faults and accounting."""

from __future__ import annotations

import asyncio
import hmac
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from typing import Any

import orjson
from aiohttp import web

from . import errors, legacy, modern
from .config import MAX_BODY_BYTES, Faults, Project, RateLimit, Timing
from .errors import ServiceError
from .faults import FaultInjector
from .jobs import Job, JobStore, TaskFailure
from .paging import page_request
from .ratelimit import SlidingWindowLimiter
from .rendering import PageRequest, render_page
from .responses import (
    DropConnectionError,
    accepted,
    drop_connection,
    error_response,
    json_response,
    now,
    origin_of,
    too_large,
    truncated,
)
from .stats import Stats
from .submission import JobRequest
from .versions import Spelling

Handler = Callable[[web.Request, str], Awaitable[web.StreamResponse]]

_KIND_NAMES = {
    "single": "single-label classification",
    "multi": "multi-label classification",
    "entities": "custom entity recognition",
}


class EmulatorService:
    """The emulated resource: its configuration, jobs, budget, faults and counters."""

    def __init__(
        self,
        *,
        key: str | None,
        bearer_tokens: Collection[str],
        projects: Sequence[Project],
        rate_limit: RateLimit | None,
        timing: Timing,
        faults: Faults,
        seed: int,
        page_size: int,
        top_limit: int = 50,
        retention_seconds: float,
    ) -> None:
        if not 1 <= page_size <= 50 or not 1 <= top_limit <= 50:
            raise ValueError("page_size and top_limit must be within 1..50")
        self.key = key
        self.bearer_tokens = frozenset(bearer_tokens)
        self.projects = {(p.name, p.deployment): p for p in projects}
        self.page_size = page_size
        self.top_limit = top_limit
        self.limiter = SlidingWindowLimiter(rate_limit, key)
        self.rate_limit = rate_limit
        self.faults = FaultInjector(faults, seed)
        self.store = JobStore(timing, retention_seconds, seed)
        self.stats = Stats()
        self.foreign_endpoint: str | None = None

    # -- accounting -------------------------------------------------------------------------

    def stats_json(self) -> dict[str, Any]:
        """The stats document served at `/_emulator/stats`."""
        return self.stats.as_json(self.faults.counts, self.store.max_in_flight)

    def reset(self) -> None:
        """Forget jobs, counters and the rate window; reseed faults and timing."""
        self.stats.reset()
        self.store.reset()
        self.limiter.reset()
        self.faults.reset()

    # -- applications -----------------------------------------------------------------------

    def application(self) -> web.Application:
        """The service's aiohttp application."""
        app = web.Application(client_max_size=MAX_BODY_BYTES * 8)
        jobs = modern.JOBS_PATH
        app.router.add_get("/_emulator/stats", self._stats_handler)
        app.router.add_post("/_emulator/reset", self._reset_handler)
        app.router.add_post(jobs, self._guarded(self._modern_submit))
        app.router.add_get(jobs + "/{job_id}", self._guarded(self._modern_get))
        app.router.add_post(jobs + "/{job_id:[^/:]+}:cancel", self._guarded(self._modern_cancel))
        legacy_root = "/text/analytics/{version}/analyze"
        app.router.add_post(legacy_root, self._guarded(self._legacy_submit))
        app.router.add_get(legacy_root + "/jobs/{job_id}", self._guarded(self._legacy_get))
        app.router.add_route("*", "/{tail:.*}", self._guarded(self._unknown_route))
        return app

    def foreign_application(self) -> web.Application:
        """Another origin: answers 404 to everything and records whether credentials came."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._foreign_handler)
        return app

    # -- plumbing ---------------------------------------------------------------------------

    def _guarded(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def guarded(request: web.Request) -> web.StreamResponse:
            started = time.perf_counter()
            try:
                credential = self._authenticate(request)
                wait = self.limiter.try_acquire(credential, now())
                if wait is not None:
                    assert self.rate_limit is not None
                    self.stats.throttled += 1
                    raise errors.throttled(self.rate_limit.retry_after(wait))
                response = await handler(request, credential)
            except ServiceError as exc:
                response = error_response(exc, started)
            except DropConnectionError as exc:
                self.stats.connections_dropped += 1
                return drop_connection(request, reset=exc.reset)
            self.stats.count_response(request.method, response.status)
            return response

        return guarded

    def _authenticate(self, request: web.Request) -> str:
        if self.key is None and not self.bearer_tokens:
            return "anonymous"
        key = request.headers.get("Ocp-Apim-Subscription-Key")
        if key is not None and self.key is not None:
            given = key.encode("utf-8", "surrogateescape")
            if hmac.compare_digest(given, self.key.encode("utf-8")):
                return key
        authorization = request.headers.get("Authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() == "bearer" and token in self.bearer_tokens:
            return token
        raise errors.unauthorized()

    async def _request_faults(self, request: web.Request, error_fault: str | None) -> None:
        """Faults that strike any request before it is handled."""
        faults = self.faults
        if faults.draw("slow_response"):
            await asyncio.sleep(faults.faults.slow_seconds)
        if faults.draw("connection_reset"):
            raise DropConnectionError(reset=True)
        if error_fault is not None and faults.draw(error_fault):
            status, retry_after = faults.error_status()
            raise errors.server_error(status, retry_after=retry_after)

    async def _read_json(self, request: web.Request) -> object:
        length = request.content_length
        if length is not None and length > MAX_BODY_BYTES:
            raise too_large(length)
        raw = await request.read()
        if len(raw) > MAX_BODY_BYTES:
            raise too_large(len(raw))
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise errors.body_format_error(f"The request body is not valid JSON: {exc}") from None

    def _task_failures(self, job_request: JobRequest, legacy: bool) -> dict[int, TaskFailure]:
        failures: dict[int, TaskFailure] = {}
        for i, task in enumerate(job_request.tasks):
            if task.project is None and legacy:
                # The older API says no more than that the task failed (reference §7).
                failures[i] = TaskFailure(
                    "InternalServerError", "1 out of 1 job tasks failed.", at_start=True
                )
            elif task.project is None:
                failures[i] = TaskFailure(
                    "NotFound",
                    f"The project '{task.project_name}' or its deployment "
                    f"'{task.deployment_name}' was not found.",
                    at_start=True,
                )
            elif task.project.kind != task.kind:
                failures[i] = TaskFailure(
                    "InvalidRequest",
                    f"The project '{task.project_name}' is a {_KIND_NAMES[task.project.kind]} "
                    f"project; it cannot run a {_KIND_NAMES[task.kind]} task.",
                    at_start=True,
                )
        internal = TaskFailure("InternalServerError", "An internal error occurred in the task.")
        count = len(job_request.tasks)
        if self.faults.draw("job_failed"):
            failures = dict.fromkeys(range(count), internal)
        elif count > 1 and self.faults.draw("task_failed"):
            failures.setdefault(self.faults.pick(count), internal)
        return failures

    async def _submit(
        self, request: web.Request, credential: str, spelling: Spelling, dialect: str
    ) -> tuple[Job, str]:
        """Accept a submit: returns the job and the origin for its `operation-location`."""
        await self._request_faults(request, "submit_error")
        body = await self._read_json(request)
        parser = legacy.parse_submit if spelling.legacy else modern.parse_submit
        job_request = parser(body, spelling, self.projects)
        failures = self._task_failures(job_request, spelling.legacy)
        job = self.store.create(
            job_request,
            dialect=dialect,
            key=credential,
            now=now(),
            wall_now=time.time(),
            failures=failures,
        )
        self.stats.count_job(job_request.documents)
        if self.faults.draw("lost_submit_response"):
            raise DropConnectionError(reset=False)
        origin = origin_of(request)
        if self.foreign_endpoint is not None and self.faults.draw("foreign_operation_location"):
            origin = self.foreign_endpoint
        return job, origin

    def _find_job(self, job_id: str, dialect: str) -> Job:
        job = self.store.get(job_id, now())
        if job is None or job.dialect != dialect:
            raise errors.job_not_found(job_id)
        return job

    async def _job_page(
        self,
        request: web.Request,
        job: Job,
        spelling: Spelling,
        page: PageRequest,
        next_link: Callable[[int, int], str],
    ) -> web.StreamResponse:
        self.stats.job_gets += 1
        snap = job.snapshot(now())
        if snap.terminal:
            cache_key = (spelling.version, page.skip, page.top, page.show_stats_raw, request.host)
            body = job.pages.get(cache_key)
            if body is None:
                body = job.pages[cache_key] = render_page(job, snap, spelling, page, next_link)
        else:
            body = render_page(job, snap, spelling, page, next_link)
        if self.faults.draw("truncated_body"):
            return await truncated(request, body)
        return json_response(200, body)

    # -- modern dialect ---------------------------------------------------------------------

    async def _modern_submit(self, request: web.Request, credential: str) -> web.StreamResponse:
        spelling = modern.spelling_for(request.query.get("api-version"))
        job, origin = await self._submit(request, credential, spelling, "modern")
        location = modern.job_url(origin, job.id, spelling.version)
        return accepted(location)

    async def _modern_get(self, request: web.Request, credential: str) -> web.StreamResponse:
        query = request.query
        spelling = modern.spelling_for(query.get("api-version"))
        await self._request_faults(request, "get_error")
        job = self._find_job(request.match_info["job_id"], "modern")
        page = page_request(
            top=query.get("top"),
            skip=query.get("skip"),
            show_stats=query.get("showStats"),
            page_size=self.page_size,
            top_limit=self.top_limit,
            names=("top", "skip"),
        )
        origin = origin_of(request)

        def next_link(skip: int, top: int) -> str:
            return modern.next_link(
                origin, job.id, spelling.version, page.show_stats_raw, skip, top
            )

        return await self._job_page(request, job, spelling, page, next_link)

    async def _modern_cancel(self, request: web.Request, credential: str) -> web.StreamResponse:
        spelling = modern.spelling_for(request.query.get("api-version"))
        await self._request_faults(request, None)
        job = self._find_job(request.match_info["job_id"], "modern")
        already = job.cancel_at is not None and job.cancel_at <= now()
        if not job.request_cancel(now()):
            raise ServiceError(
                400,
                errors.error_object(
                    "InvalidRequest",
                    f"Failed to cancel job with job identifier {job.id} because the job has "
                    "already completed.",
                ),
            )
        if not already:
            self.stats.jobs_cancelled += 1
            self.store.note_cancel(job)
        return accepted(modern.job_url(origin_of(request), job.id, spelling.version))

    # -- legacy dialect ---------------------------------------------------------------------

    async def _legacy_submit(self, request: web.Request, credential: str) -> web.StreamResponse:
        spelling = legacy.spelling_for(request.match_info["version"])
        job, origin = await self._submit(request, credential, spelling, spelling.version)
        return accepted(legacy.job_url(origin, spelling.version, job.id))

    async def _legacy_get(self, request: web.Request, credential: str) -> web.StreamResponse:
        spelling = legacy.spelling_for(request.match_info["version"])
        await self._request_faults(request, "get_error")
        job = self._find_job(request.match_info["job_id"], spelling.version)
        query = request.query
        page = page_request(
            top=query.get("$top"),
            skip=query.get("$skip"),
            show_stats=query.get("showStats"),
            page_size=self.page_size,
            top_limit=self.top_limit,
            names=("$top", "$skip"),
        )
        origin = origin_of(request)

        def next_link(skip: int, top: int) -> str:
            return legacy.next_link(
                origin, spelling.version, job.id, page.show_stats_raw, skip, top
            )

        return await self._job_page(request, job, spelling, page, next_link)

    async def _unknown_route(self, request: web.Request, credential: str) -> web.StreamResponse:
        raise errors.resource_not_found()

    # -- emulator's own routes --------------------------------------------------------------

    async def _stats_handler(self, request: web.Request) -> web.StreamResponse:
        return web.Response(body=orjson.dumps(self.stats_json()), content_type="application/json")

    async def _reset_handler(self, request: web.Request) -> web.StreamResponse:
        self.reset()
        return web.Response(status=204)

    async def _foreign_handler(self, request: web.Request) -> web.StreamResponse:
        self.stats.foreign_requests += 1
        headers = request.headers
        if "Ocp-Apim-Subscription-Key" in headers or "Authorization" in headers:
            self.stats.foreign_requests_with_key += 1
        return error_response(errors.resource_not_found(), time.perf_counter())
