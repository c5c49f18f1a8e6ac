#!/usr/bin/python3
"""A webhook receiver for ECC's tests: http.server's ThreadingHTTPServer on 127.0.0.1.

Every request (any method) becomes one JSON file in --out (written to a dot-file, then renamed), named
``<arrival ns>-<seq>.json``, with method, path, headers, the body as UTF-8 text (or null when it is not
UTF-8) and always as base64, and the status it was answered with.

Answers: the first --fail-count requests get --fail-status (e.g. 3 x 503), the others --status (default
200); the response body is --body (default ``ok``). Prints ``ready <port>`` on stdout once listening;
stops on SIGTERM or SIGINT.
"""

import argparse
import base64
import itertools
import json
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--status", type=int, default=200)
    p.add_argument("--fail-count", type=int, default=0)
    p.add_argument("--fail-status", type=int, default=503)
    p.add_argument("--body", default="ok")
    a = p.parse_args()

    lock = threading.Lock()
    counter = itertools.count(1)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            with lock:
                seq = next(counter)
                arrival = time.time_ns()
            status = a.fail_status if seq <= a.fail_count else a.status
            try:
                body_text = body.decode("utf-8")
            except UnicodeDecodeError:
                body_text = None
            record = {
                "seq": seq,
                "received_at_ns": arrival,
                "method": self.command,
                "path": self.path,
                "headers": [[k, v] for k, v in self.headers.items()],
                "body": body_text,
                "body_base64": base64.b64encode(body).decode("ascii"),
                "status": status,
            }
            name = "%019d-%06d.json" % (arrival, seq)
            tmp = os.path.join(a.out, "." + name + ".tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(record, f, ensure_ascii=False, indent=1)
            os.replace(tmp, os.path.join(a.out, name))
            reply = a.body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(reply)))
            if status in (429, 503):
                self.send_header("Retry-After", "1")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_any

        def log_message(self, fmt, *args):
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    ThreadingHTTPServer.allow_reuse_address = True
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    signal.signal(signal.SIGINT, lambda *_: threading.Thread(target=server.shutdown).start())
    print("ready %d" % server.server_address[1], flush=True)
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
