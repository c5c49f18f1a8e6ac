#!/usr/bin/python3
"""A real SMTP server for ECC's tests: aiosmtpd on 127.0.0.1.

Modes: ``starttls`` (STARTTLS required before MAIL, AUTH only over TLS), ``implicit`` (TLS from the first
byte, smtps) and ``plain`` (no TLS). With --user/--password, AUTH PLAIN and LOGIN are required.
Every accepted message becomes one JSON file in --out (written to a dot-file, then renamed), named
``<arrival ns>-<seq>.json``. Recipients given with --reject get ``550 5.1.1 no such user`` at RCPT and
those given with --defer get ``451 4.3.0 try again later``.

Prints ``ready <port>`` on stdout once the server accepts connections; stops on SIGTERM or SIGINT.
Run with Debian's /usr/bin/python3 (package python3-aiosmtpd).
"""

import argparse
import email
import email.policy
import itertools
import json
import os
import signal
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HEADERS = ["Subject", "From", "To", "Cc", "Date", "Message-ID", "Content-Type", "MIME-Version"]


def text(value):
    """Bytes as str: UTF-8, with invalid bytes replaced."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def parse(raw):
    """The message as Python's email package decodes it (policy=default)."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    headers = {}
    for name in HEADERS:
        value = msg.get(name)
        if value is not None:
            headers[name] = str(value)

    def body(kind):
        part = msg.get_body(preferencelist=(kind,))
        if part is None:
            return None
        try:
            content = part.get_content()
        except (LookupError, ValueError):
            content = part.get_payload(decode=True) or b""
        # Line ends as "\n" whatever the message used on the wire (SMTP sends CRLF).
        return text(content).replace("\r\n", "\n")

    return {
        "headers": headers,
        "text": body("plain"),
        "html": body("html"),
        "parts": [p.get_content_type() for p in msg.walk()],
    }


class Handler:
    def __init__(self, out, reject, defer):
        self.out = out
        self.reject = {a.lower() for a in reject}
        self.defer = {a.lower() for a in defer}
        self.seq = itertools.count(1)
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 no such user"
        if address.lower() in self.defer:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or b""
        transport = server.transport
        tls = transport is not None and transport.get_extra_info("ssl_object") is not None
        user = None
        if session.authenticated:
            data = session.auth_data
            user = text(data.login) if isinstance(data, LoginPassword) else text(data)
        with self.lock:
            seq = next(self.seq)
            arrival = time.time_ns()
        record = {
            "seq": seq,
            "received_at_ns": arrival,
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "auth_user": user,
            "tls": tls,
            "peer": str(session.peer[0]) if session.peer else None,
            "raw": text(raw),
        }
        record.update(parse(raw))
        name = "%019d-%06d.json" % (arrival, seq)
        tmp = os.path.join(self.out, "." + name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, os.path.join(self.out, name))
        return "250 2.0.0 OK queued as %d" % seq


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--mode", choices=["starttls", "implicit", "plain"], default="starttls")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--out", required=True)
    p.add_argument("--reject", action="append", default=[])
    p.add_argument("--defer", action="append", default=[])
    a = p.parse_args()

    kwargs = {"hostname": "127.0.0.1", "port": a.port, "ready_timeout": 30.0}
    smtp = {"data_size_limit": 10 * 1024 * 1024}
    if a.mode != "plain":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(a.cert, a.key)
        if a.mode == "starttls":
            smtp["tls_context"] = context
            smtp["require_starttls"] = True
        else:
            kwargs["ssl_context"] = context
            kwargs["server_hostname"] = "127.0.0.1"
    if a.user is not None:
        user, password = a.user.encode(), (a.password or "").encode()

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login == user and auth_data.password == password
            return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)

        smtp["authenticator"] = authenticator
        smtp["auth_required"] = True
        smtp["auth_require_tls"] = a.mode == "starttls"
    else:
        smtp["auth_require_tls"] = False

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    controller = Controller(Handler(a.out, a.reject, a.defer), **kwargs, **smtp)
    controller.start()
    print("ready %d" % a.port, flush=True)
    while not stop.wait(1.0):
        pass
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
