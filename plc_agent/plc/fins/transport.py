"""One UDP socket or one TCP connection that carries FINS frames to and from the PLC.

A transport only moves frames: :meth:`send` one, :meth:`receive` the next one that arrives
before a deadline. Matching an answer to its request (service id, addresses, command code)
is the link's job, because only the link knows which request is waiting.
"""

from __future__ import annotations

import socket
import time

from . import tcp
from .frames import MAX_FRAME_BYTES, FinsFrameError


class FinsUdpTransport:
    """FINS/UDP: one datagram is one frame. The socket is connected to the PLC's address, so
    the kernel drops datagrams from anyone else."""

    protocol = "udp"

    def __init__(self, host: str, port: int, local_port: int = 0) -> None:
        self.host = host
        self.port = port
        self.local_port = local_port
        self._socket: socket.socket | None = None

    @property
    def is_open(self) -> bool:
        return self._socket is not None

    def open(self, timeout: float) -> tuple[int, int] | None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            if self.local_port:
                # Older Ethernet units answer to port 9600 of the sender, whatever it sent from.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sock.bind(("", self.local_port))
            sock.connect((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self._socket = sock
        return None

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def send(self, frame: bytes) -> None:
        assert self._socket is not None
        self._socket.send(frame)

    def receive(self, deadline: float) -> bytes | None:
        """The next datagram before `deadline` (time.monotonic()), None when none came."""
        assert self._socket is not None
        wait = deadline - time.monotonic()
        if wait <= 0:
            return None
        self._socket.settimeout(wait)
        try:
            return self._socket.recv(MAX_FRAME_BYTES + 64)
        except TimeoutError:
            return None
        except ConnectionRefusedError as exc:
            # An ICMP port-unreachable from an earlier datagram: nobody listens there.
            raise ConnectionRefusedError(f"no FINS/UDP service at {self.host}:{self.port} ({exc})") from exc


class FinsTcpTransport:
    """FINS/TCP: one connection, opened with the node-address handshake."""

    protocol = "tcp"

    def __init__(self, host: str, port: int, client_node: int = 0) -> None:
        self.host = host
        self.port = port
        self.client_node = client_node
        self._socket: socket.socket | None = None
        self._decoder = tcp.StreamDecoder()
        self._pending: list[tcp.TcpMessage] = []

    @property
    def is_open(self) -> bool:
        return self._socket is not None

    def open(self, timeout: float) -> tuple[int, int] | None:
        """Connect and shake hands; returns (client node, server node) the server confirmed."""
        sock = socket.create_connection((self.host, self.port), timeout=timeout)
        self._socket = sock
        self._decoder = tcp.StreamDecoder()
        self._pending = []
        try:
            sock.sendall(tcp.node_address_request(self.client_node))
            message = self._next_message(time.monotonic() + timeout)
            if message is None:
                raise TimeoutError(f"no FINS/TCP node address answer within {timeout:g} s")
            return tcp.node_addresses(message)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def send(self, frame: bytes) -> None:
        assert self._socket is not None
        self._socket.sendall(tcp.frame_send(frame))

    def receive(self, deadline: float) -> bytes | None:
        while True:
            message = self._next_message(deadline)
            if message is None:
                return None
            if message.command == tcp.FRAME_SEND:
                return message.payload
            if message.command == tcp.FRAME_SEND_ERROR:
                raise ConnectionError(f"the PLC closed the connection: {tcp.describe_error(message.error_code)}")
            if message.command == tcp.CONNECTION_CONFIRMATION:
                continue  # sent to a client that reconnected with a node address in use
            raise FinsFrameError(f"FINS/TCP: unexpected command {message.command} on an open connection")

    def _next_message(self, deadline: float) -> tcp.TcpMessage | None:
        assert self._socket is not None
        while not self._pending:
            wait = deadline - time.monotonic()
            if wait <= 0:
                return None
            self._socket.settimeout(wait)
            try:
                data = self._socket.recv(4096)
            except TimeoutError:
                return None
            if not data:
                raise ConnectionResetError("the PLC closed the FINS/TCP connection")
            self._pending.extend(self._decoder.feed(data))
        return self._pending.pop(0)
