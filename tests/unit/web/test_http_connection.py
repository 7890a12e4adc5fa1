"""The connection's transport (web/http_connection.py): a response's writes go out as one."""

from __future__ import annotations

import asyncio

from gatehouse.web.http_connection import CoalescingTransport


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def test_writes_of_one_loop_step_are_sent_as_one_in_order() -> None:
    async def main() -> list[bytes]:
        inner = RecordingTransport()
        transport = CoalescingTransport(inner, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(bytearray(b"body"))
        assert inner.writes == []  # nothing sent until the step ends
        await asyncio.sleep(0)
        transport.write(b"next")
        await asyncio.sleep(0)
        return inner.writes

    assert asyncio.run(main()) == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"next"]


def test_close_sends_what_is_pending_first() -> None:
    async def main() -> RecordingTransport:
        inner = RecordingTransport()
        transport = CoalescingTransport(inner, asyncio.get_running_loop())
        transport.write(b"408 response")
        transport.close()
        await asyncio.sleep(0)  # the scheduled flush finds nothing left to send
        return inner

    inner = asyncio.run(main())
    assert inner.writes == [b"408 response"] and inner.closed
