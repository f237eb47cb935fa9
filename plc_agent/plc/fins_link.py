"""The agent's link to an Omron PLC over FINS (UDP or TCP): DM words read and written with
memory area read (01 01) and write (01 02).

Every request carries a fresh service id (SID). An answer counts only when its SID, its
addresses (the PLC as source, the agent as destination) and its command code are those of
the request that waits: a late answer to an earlier try, a duplicated datagram or a stray
frame is dropped and counted, never taken for another request's answer. On UDP a request
that got no answer in time is sent again with a new SID (`retries` times): reads and data
writes mean the same when sent twice. A write of a handshake or acknowledgement word is
sent once only (:meth:`~.link.PlcLinkBase._resend_safe`). End codes become PlcError naming the code and its meaning.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from ..metrics import AgentMetrics
from .fins import frames
from .fins.frames import FinsAddress, FinsFrameError, FinsHeader, FinsResponse
from .fins.transport import FinsTcpTransport, FinsUdpTransport
from .link import PlcError, PlcLinkBase
from .register_map import RegisterMap

logger = logging.getLogger(__name__)

DEFAULT_PORT = 9600
TRANSPORTS = ("udp", "tcp")


class FinsLink(PlcLinkBase):
    """One FINS/UDP socket or FINS/TCP connection to one PLC, opened lazily, with the
    reconnect backoff and health figures of every link."""

    protocol = "fins"
    max_read_words = frames.MAX_READ_WORDS
    max_write_words = frames.MAX_WRITE_WORDS
    outage_fix = ("PLC_HOST, PLC_PORT, the FINS node numbers (PLC_FINS_DEST_NODE, PLC_FINS_SOURCE_NODE) "
                  "against the Ethernet unit's settings, the network cable and that the PLC is switched on")

    def __init__(
        self,
        host: str,
        port: int,
        register_map: RegisterMap,
        *,
        transport: str = "udp",
        destination: FinsAddress,
        source: FinsAddress,
        retries: int = 2,
        udp_local_port: int = 0,
        timeout: float = 3.0,
        reconnect_backoff_max: float = 30.0,
        reconnect_backoff_initial: float = 0.5,
        metrics: AgentMetrics | None = None,
    ) -> None:
        if transport not in TRANSPORTS:
            raise ValueError(f"FINS transport must be udp or tcp, got {transport!r}")
        if retries < 0:
            raise ValueError(f"FINS retries must be >= 0, got {retries}")
        if transport == "udp" and (destination.node == 0 or source.node == 0):
            raise ValueError("FINS/UDP needs the PLC's node address and the agent's own (1..254); "
                             "0 is allocated only by a FINS/TCP handshake")
        self.host = host
        self.port = port
        super().__init__(register_map, timeout, reconnect_backoff_max, reconnect_backoff_initial, metrics)
        self.transport_name = transport
        # As configured; a FINS/TCP handshake may fill in the nodes given as 0.
        self.destination = destination
        self.source = source
        self.retries = retries if transport == "udp" else 0
        self.stray_answers = 0  # answers dropped because they belonged to no waiting request
        self._sid = 0
        self._transport: FinsUdpTransport | FinsTcpTransport
        if transport == "udp":
            self._transport = FinsUdpTransport(host, port, udp_local_port)
        else:
            self._transport = FinsTcpTransport(host, port, source.node)
        self._session_destination = destination
        self._session_source = source

    @property
    def connected(self) -> bool:
        return self._transport.is_open

    def describe(self) -> str:
        return (f"FINS/{self.transport_name.upper()} {self.endpoint}, PLC node {self._session_destination}, "
                f"agent node {self._session_source}")

    def _close_transport(self) -> None:
        self._transport.close()

    def _connect(self) -> bool:
        if self._transport.is_open:
            return False
        self._wait_for_backoff()
        try:
            nodes = self._transport.open(self.timeout)
        except (OSError, FinsFrameError) as exc:
            raise self._failed(f"{self.endpoint}: cannot open FINS/{self.transport_name.upper()} ({exc})") from exc
        if nodes is not None:
            client, server = nodes
            if self.destination.node and server != self.destination.node:
                logger.warning("PLC %s: FINS/TCP server says it is node %d, the settings say %d; using %d",
                               self.endpoint, server, self.destination.node, server)
            self._session_source = FinsAddress(self.source.network, client, self.source.unit)
            self._session_destination = FinsAddress(self.destination.network, server, self.destination.unit)
        self._log_connected(self.describe())
        return True

    def _next_sid(self) -> int:
        self._sid = self._sid % 255 + 1  # 1..255
        return self._sid

    # ------------------------------------------------------------------ requests

    def _request(self, what: str, call: Callable[[], Any], resend: bool) -> Any:
        """Run `call` (one exchange on the open transport); failures become PlcError."""
        with self._lock:
            fresh = self._connect()
            while True:
                try:
                    response = call()
                except PlcError:
                    raise
                except TimeoutError as exc:
                    raise self._failed(f"{self.endpoint} {what}: {exc}") from exc
                except FinsFrameError as exc:
                    raise self._failed(f"{self.endpoint} {what}: {exc}") from exc
                except OSError as exc:
                    if not fresh and resend and self.transport_name == "tcp":
                        # The PLC may have closed an idle connection; this request means
                        # the same when sent again, so one retry on a new connection is safe.
                        logger.debug("PLC %s: connection lost (%s), reconnecting", self.endpoint, exc)
                        self._transport.close()
                        fresh = self._connect()
                        continue
                    raise self._failed(f"{self.endpoint} {what}: connection lost ({exc})") from exc
                if not response.end_code.ok:
                    # The exchange itself worked: keep the connection, no backoff.
                    raise PlcError(f"{self.endpoint} {what}: PLC answered with {response.end_code}")
                if response.end_code.flags:
                    logger.warning("PLC %s %s: the answer reports %s", self.endpoint, what,
                                   ", ".join(response.end_code.flags))
                self._answered()
                return response

    def _exchange(self, build: Callable[[FinsHeader], bytes], code: int, resend: bool = True) -> FinsResponse:
        """Send one command and wait for its own answer; on UDP try again with a new SID
        unless ``resend`` is False."""
        tries = 1 + (self.retries if resend else 0)
        for attempt in range(1, tries + 1):
            sid = self._next_sid()
            header = FinsHeader.command(self._session_destination, self._session_source, sid)
            self.request_count += 1
            self._transport.send(build(header))
            deadline = time.monotonic() + self.timeout
            while True:
                frame = self._transport.receive(deadline)
                if frame is None:
                    break
                response = self._match(frame, header, code)
                if response is not None:
                    return response
            if attempt < tries:
                logger.info("PLC %s: no answer to SID %d within %g s, sending again (%d/%d)",
                            self.endpoint, sid, self.timeout, attempt + 1, tries)
        raise TimeoutError(f"no answer within {self.timeout:g} s"
                           + (f" to {tries} tries" if tries > 1 else ""))

    def _match(self, frame: bytes, header: FinsHeader, code: int) -> FinsResponse | None:
        """The answer to `header` in `frame`, or None (counted and logged) for any other frame."""
        try:
            response = frames.decode_response(frame)
        except FinsFrameError as exc:
            self._stray(f"not a FINS response ({exc})")
            return None
        got = response.header
        if got.sid != header.sid:
            self._stray(f"SID {got.sid}, waiting for {header.sid}")
            return None
        if got.source.node != header.destination.node or got.destination.node != header.source.node:
            self._stray(f"SID {got.sid} from node {got.source} to {got.destination}, "
                        f"waiting for {header.destination} to {header.source}")
            return None
        if response.code != code:
            self._stray(f"SID {got.sid} answers command {response.code:04X} hex, waiting for {code:04X} hex")
            return None
        return response

    def _stray(self, why: str) -> None:
        self.stray_answers += 1
        logger.info("PLC %s: dropped an answer that belongs to no waiting request: %s", self.endpoint, why)

    def read_registers(self, address: int, count: int) -> list[int]:
        what = f"read {count} DM word(s) at D{address}"
        if not 1 <= count <= self.max_read_words:
            raise ValueError(f"{what}: a read carries 1..{self.max_read_words} words")

        def call() -> FinsResponse:
            return self._exchange(lambda h: frames.memory_area_read(h, address, count), frames.MEMORY_AREA_READ)

        def check(response: FinsResponse) -> None:
            if len(response.data) != 2 * count:
                raise self._failed(f"{self.endpoint} {what}: answer carries {len(response.data)} bytes, "
                                   f"not {2 * count}")

        response = self._execute(what, call, "read", check)
        return frames.bytes_to_words(response.data)

    def write_registers(self, address: int, values: list[int]) -> None:
        what = f"write {len(values)} DM word(s) at D{address}"
        if not 1 <= len(values) <= self.max_write_words:
            raise ValueError(f"{what}: a write carries 1..{self.max_write_words} words")
        frames.words_to_bytes(values)  # refuses what is not a 16-bit word, before anything is sent

        resend = self._resend_safe(address, len(values))

        def call() -> FinsResponse:
            return self._exchange(lambda h: frames.memory_area_write(h, address, list(values)),
                                  frames.MEMORY_AREA_WRITE, resend)

        def check(response: FinsResponse) -> None:
            if response.data:
                raise self._failed(f"{self.endpoint} {what}: answer carries {len(response.data)} unexpected bytes")

        self._execute(what, call, "write", check, resend=resend)
