"""Language resources: what the user names (`Resource`), and what the client keeps for each
(`ResourceLink`: its pacer, its HTTP transport, its health)."""

from __future__ import annotations

from dataclasses import dataclass, field

import anyio
from yarl import URL

from .._api.auth import Authenticator, Credential, authenticator_for
from .._api.transport import AsyncTransport, EndpointSender, check_endpoint
from .._errors import ConfigurationError
from .._pacing import Pacer, PacingSettings
from .._pacing.runtime import PacerRuntime
from .._pacing.turns import Turn
from .._settings import Pacing
from .routing import ResourceHealth


@dataclass(frozen=True, slots=True)
class Resource:
    """One Language resource a project is deployed to: its endpoint, its credential, and its
    request budget.

    `credential` is the resource key, a key holder such as
    `azure.core.credentials.AzureKeyCredential` (read for every request, so a rotated key
    takes effect on the next one), or an async Entra ID token credential (https only).
    `requests_per_minute` is the resource's budget (1,000 for custom features);
    `rate_window` scales its window (seconds) for tests on an emulator. `name` labels it in
    statistics and messages (its host by default).
    """

    endpoint: str
    credential: Credential = field(repr=False)
    requests_per_minute: int = 1000
    rate_window: float = 60.0
    name: str | None = None

    @property
    def label(self) -> str:
        """Its name, or its endpoint's host and port."""
        if self.name:
            return self.name
        url = URL(self.endpoint)
        return f"{url.host}:{url.port}" if url.explicit_port else str(url.host)


class DrainNotice:
    """Wakes whoever waits for a drain to begin on any of a client's resources, or for a call
    to leave one out: either may make another resource a call's last."""

    def __init__(self) -> None:
        self._event: anyio.Event | None = None

    def drained(self) -> None:
        """A resource was drained, or left out of a call."""
        if self._event is not None:
            self._event.set()
            self._event = None

    def event(self) -> anyio.Event:
        """Set at the next drain."""
        if self._event is None:
            self._event = anyio.Event()
        return self._event

    def close(self) -> None:
        """Forget the event: it belongs to the event loop that ran the client."""
        self._event = None


class ResourceLink:
    """What a client keeps for one resource: pacer, sender (made on first use), health."""

    def __init__(
        self,
        resource: Resource,
        *,
        pacing: Pacing,
        allow_insecure_http: bool,
        drains: DrainNotice | None = None,
    ) -> None:
        self.resource = resource
        self.drains = drains or DrainNotice()
        """Shared by the client's resources: told of every drain."""
        self.label = resource.label
        self.endpoint = URL(resource.endpoint.rstrip("/"))
        self.auth: Authenticator = authenticator_for(resource.credential)
        check_endpoint(self.endpoint, self.auth, allow_insecure_http)
        try:
            settings = PacingSettings(
                requests_per_minute=resource.requests_per_minute,
                window=resource.rate_window,
                first_poll=pacing.first_poll,
                max_jobs_in_flight=pacing.max_jobs_in_flight,
                max_bytes_in_flight=pacing.max_bytes_in_flight,
            )
        except ValueError as exc:
            raise ConfigurationError(f"{self.label}: {exc}") from None
        pacer = Pacer(settings)
        pacer.label = self.label
        self.runtime = PacerRuntime(pacer)
        self.health = ResourceHealth()
        self._sender: EndpointSender | None = None

    @property
    def pacer(self) -> Pacer:
        """The resource's pacer (read-only use)."""
        return self.runtime.pacer

    def sender(self, transport: AsyncTransport) -> EndpointSender:
        """The resource's sender over `transport` (made once)."""
        if self._sender is None:
            self._sender = EndpointSender(transport, self.endpoint, self.auth)
        return self._sender

    def expected_start(self, now: float) -> float:
        """Seconds until a job sent now would be submitted (see `Pacer.expected_start`)."""
        return self.runtime.pacer.expected_start(now)

    def close(self) -> None:
        """Stop the pacer's dispatcher; forget the sender (its transport is closed apart)."""
        self.runtime.close()
        self.drains.close()
        self._sender = None

    def __repr__(self) -> str:
        return f"ResourceLink({self.label!r})"


class Admission:
    """A batch's place among the jobs in flight of one resource's pacer: taken when the pacer
    grants the batch's first submit (`wait`), moved with the batch when it goes to another
    resource, and given back once, when the batch has all its results (`release`, or the end
    of a `with` block)."""

    def __init__(self, link: ResourceLink, size: int) -> None:
        self.link = link
        self.size = size
        self._turn = Turn("submit", size=size, admits=True)
        self._turn_taken = False
        self._held = False
        """Whether the pacer granted the place (noted once the wait is over)."""
        self._released = False

    async def wait(self) -> None:
        """Wait until the pacer admits the batch. A cancelled wait holds no place (one the
        pacer granted just before is given back: the batch will not run on it)."""
        try:
            await self.link.runtime.wait(self._turn)
        except BaseException:
            self._held = self._turn.granted
            self.release()
            raise
        self._held = self._turn.granted

    @property
    def granted(self) -> bool:
        """Whether the batch holds its place (until released)."""
        return self._held and not self._released

    def first_turn(self) -> Turn | None:
        """The granted turn of the batch's first submit, once (None after it was taken, or
        when the pacer did not grant it)."""
        if self._turn_taken or not self._held:
            return None
        self._turn_taken = True
        return self._turn

    def move_to(self, link: ResourceLink) -> None:
        """The batch goes to `link`'s resource: its place goes with it."""
        if link is self.link or not self.granted:
            return
        self.link.runtime.released(self.size)
        link.runtime.admitted(self.size)
        self.link = link

    def release(self) -> None:
        """The batch has all its results: give its place back (once)."""
        if self.granted:
            self._released = True
            self.link.runtime.released(self.size)

    def __enter__(self) -> Admission:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()
