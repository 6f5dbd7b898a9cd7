"""A mail server for fault tests, on 127.0.0.1: it speaks enough SMTP for smtplib (and so for
Django's SMTP backend), counts every message it accepts by its Message-ID, or refuses.

    with SMTPStub() as server:            # accepts every message
        settings.EMAIL_PORT = server.port
        ...
        server.received                   # Counter: Message-ID -> times received

    SMTPStub(greeting="554 5.3.2 no service")   # answers 554 and hangs up, as a refusing server
    SMTPStub(hold_at=100)                 # has the 100th message, and holds back its answer
    SMTPStub(greeting="")                 # a frozen server: accepts, never answers
    server.connections                    # how many connections clients opened
"""

import socket
import socketserver
import threading
from collections import Counter
from email.parser import BytesHeaderParser


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        stub: SMTPStub = self.server.stub  # type: ignore[attr-defined]
        with stub._lock:
            stub.connections += 1
        if not stub.greeting:  # silent: takes the connection and never says a word
            stub.release.wait(60)
            return
        self.reply(stub.greeting)
        if not stub.greeting.startswith("220"):
            return
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.reply("250 stub")
            elif verb == b"MAIL" and stub.mail_reply:
                self.reply(stub.mail_reply)
            elif verb == b"DATA":
                self.reply("354 go ahead")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk)
                # Received: counted before the answer, as a real server has it once it has it.
                if stub.accept(b"".join(data)) == stub.hold_at:
                    stub.held.set()  # the sender waits for the answer: it is in flight
                    stub.release.wait(60)
                self.reply("250 2.0.0 queued")
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:  # MAIL, RCPT, RSET, NOOP
                self.reply("250 ok")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request, client_address) -> None:
        """A client killed mid-conversation (the fault under test) is not the server's error."""


class SMTPStub:
    def __init__(self, *, greeting: str = "220 stub ESMTP", mail_reply: str = "", hold_at: int = 0):
        self.greeting, self.mail_reply = greeting, mail_reply
        # The hold_at-th message is received, and its answer held back until `release` is set.
        self.hold_at, self.held, self.release = hold_at, threading.Event(), threading.Event()
        self.received: Counter[str] = Counter()
        self.connections = 0  # how many times a client connected
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.stub = self  # type: ignore[attr-defined]
        self.port = self._server.server_address[1]

    def accept(self, data: bytes) -> int:
        """Count one message received; returns how many have been."""
        headers = BytesHeaderParser().parsebytes(data)
        with self._lock:
            self.received[str(headers.get("Message-ID", ""))] += 1
            return sum(self.received.values())

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.received.values())

    def __enter__(self) -> "SMTPStub":
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()


def unused_port() -> int:
    """A port nobody listens on (a moment ago): connecting to it is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
