"""The simulated PLC on Omron FINS: the same line and faults, served over FINS/UDP or FINS/TCP.

:class:`FinsPlcSimulator` answers memory area read (01 01) and write (01 02) of DM words
the way a CS/CJ CPU unit behind its Ethernet unit does: end codes for a wrong area, an
address out of range or an unknown command, the FINS/TCP node-address handshake, and on
UDP the faults TCP does not have (:meth:`~.faults.FaultSwitches.datagram_fault_next`):
a request or an answer lost, an answer duplicated, an answer late.
"""

from __future__ import annotations

import asyncio
import logging

from ..fins import frames, tcp
from ..fins.frames import FinsCommand, FinsFrameError
from .server import PlcSimulator

logger = logging.getLogger(__name__)

TRANSPORTS = ("udp", "tcp")
UNIT_ERROR = 0x2502  # what a faulty PLC answers (the Modbus simulator's "device failure")
FIRST_ALLOCATED_NODE = 239  # FINS/TCP clients that ask for a node get 239, 240, ...


class FinsPlcSimulator(PlcSimulator):
    """The line's PLC as FINS node `node` over `transport` ("udp" or "tcp")."""

    def __init__(self, register_map, *, transport: str = "udp", node: int = 10, **options) -> None:  # type: ignore[no-untyped-def]
        if transport not in TRANSPORTS:
            raise ValueError(f"FINS transport must be udp or tcp, got {transport!r}")
        if not 1 <= node <= 254:
            raise ValueError(f"FINS node must be 1..254, got {node}")
        super().__init__(register_map, **options)
        self.transport = transport
        self.node = node
        self.protocol = f"fins-{transport}"
        self.requests_served = 0
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp_server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._allocated = 0

    @property
    def connection_count(self) -> int:
        return len(self._writers)

    # ------------------------------------------------------------------ listeners

    async def _serve(self, host: str, port: int) -> None:
        self._base = self._low
        self._memory = [0] * (self._high - self._low)
        loop = asyncio.get_running_loop()
        if self.transport == "udp":
            transport, _protocol = await loop.create_datagram_endpoint(
                lambda: _UdpServer(self), local_addr=(host, port))
            self._udp = transport
            self.port = transport.get_extra_info("sockname")[1]
        else:
            self._tcp_server = await asyncio.start_server(self._serve_connection, host, port)
            self.port = self._tcp_server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._tcp_server is not None:
            self._tcp_server.close()
            self._drop_connections()
            await self._tcp_server.wait_closed()
            self._tcp_server = None

    def _drop_connections(self) -> None:
        writers = list(self._writers)
        for writer in writers:
            writer.close()
        self._writers.clear()
        if writers:
            logger.info("PLC simulator dropped %d FINS/TCP connection(s)", len(writers))

    async def _datagram(self, data: bytes, address: tuple[str, int]) -> None:
        sid = data[9] if len(data) >= frames.HEADER_BYTES else -1
        fate = self.faults.datagram(sid)
        if fate.lose_request:
            logger.info("PLC simulator: FINS/UDP request SID %d lost", sid)
            return
        reply = await self._answer(data)
        if reply is None or self._udp is None:
            return
        if fate.lose_answer:
            logger.info("PLC simulator: FINS/UDP answer to SID %d lost", sid)
            return
        if fate.late_by:
            await asyncio.sleep(fate.late_by)
        for _ in range(2 if fate.duplicate_answer else 1):
            if self._udp is not None:
                self._udp.sendto(reply, address)

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        decoder = tcp.StreamDecoder()
        client_node: int | None = None
        try:
            while not writer.is_closing():
                data = await reader.read(4096)
                if not data:
                    return
                try:
                    messages = decoder.feed(data)
                except FinsFrameError as exc:
                    logger.info("PLC simulator: %s; closing the connection", exc)
                    code = 0x01 if "not 'FINS'" in str(exc) else 0x02
                    writer.write(tcp.encode(tcp.FRAME_SEND_ERROR, error_code=code))
                    return
                for message in messages:
                    if client_node is None and message.command == tcp.NODE_ADDRESS_REQUEST:
                        client_node = int.from_bytes(message.payload[:4], "big") or self._allocate()
                        writer.write(tcp.node_address_response(client_node, self.node))
                    elif client_node is not None and message.command == tcp.FRAME_SEND:
                        reply = await self._answer(message.payload)
                        if writer.is_closing():
                            return  # a fault dropped the connection
                        if reply is not None:
                            writer.write(tcp.frame_send(reply))
                    else:
                        writer.write(tcp.encode(tcp.FRAME_SEND_ERROR, error_code=0x03))
                        return
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()

    def _allocate(self) -> int:
        node = FIRST_ALLOCATED_NODE + self._allocated % 16
        self._allocated += 1
        return node if node != self.node else node + 16

    # ------------------------------------------------------------------ the CPU unit

    async def _answer(self, frame: bytes) -> bytes | None:
        """The CPU unit's answer to one FINS frame; None when it gives none."""
        try:
            command = frames.decode_command(frame)
        except FinsFrameError as exc:
            logger.info("PLC simulator: frame ignored: %s", exc)
            return None
        if command.header.destination.node != self.node:
            logger.info("PLC simulator: frame for node %d ignored (this PLC is node %d)",
                        command.header.destination.node, self.node)
            return None
        if command.header.icf & frames.ICF_NO_RESPONSE_BIT:
            return None
        self.requests_served += 1
        result = await self._execute(command)
        if result is None:
            return None
        end_code, data = result
        return frames.encode_response(command.header, command.code, end_code, data)

    async def _execute(self, command: FinsCommand) -> tuple[int, bytes] | None:
        if command.code not in (frames.MEMORY_AREA_READ, frames.MEMORY_AREA_WRITE):
            return 0x0401, b""  # undefined command
        writing = command.code == frames.MEMORY_AREA_WRITE
        try:
            request = frames.decode_memory_area_request(command)
        except FinsFrameError:
            return (0x1003 if writing and len(command.text) >= 6 else 0x1002), b""
        if request.area != frames.DM_WORDS:
            return 0x1101, b""  # area classification missing
        if request.bit != 0:
            return 0x1103, b""
        if request.count > (frames.MAX_WRITE_WORDS if writing else frames.MAX_READ_WORDS):
            return (0x1001 if writing else 0x110B), b""
        start = request.address - self._base
        if start < 0 or start + request.count > len(self._memory):
            return 0x1103, b""  # address range error: outside the simulated DM words
        values = frames.bytes_to_words(request.data) if writing else None
        kind = self._request_kind(request.address, request.count, values)
        answer = self.faults.answer(kind)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        if answer.drop is not None:
            if answer.drop == "after" and values is not None:
                self._poke(request.address, values)
            self.faults.dropped(kind, answer.drop, request.address)
            logger.info("PLC simulator: FINS %s request at D%d dropped %s", kind, request.address, answer.drop)
            if self.transport == "tcp":
                self._drop_connections()
            return None  # no answer: the connection is gone / the datagram lost
        if answer.exception:
            return UNIT_ERROR, b""
        if values is not None:
            self.line.check_write(request.address, request.count)
            self._poke(request.address, values)
            return 0, b""
        return 0, frames.words_to_bytes(self._peek(request.address, request.count))


class _UdpServer(asyncio.DatagramProtocol):
    def __init__(self, simulator: FinsPlcSimulator) -> None:
        self.simulator = simulator
        self.tasks: set[asyncio.Task[None]] = set()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        task = asyncio.get_running_loop().create_task(self.simulator._datagram(data, addr))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
