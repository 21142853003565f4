#!/usr/bin/env python3
"""A cloud ingest endpoint for the HTTPS feeding test: TLS with a required
client certificate (signed by --ca), answers 200 to every POST and appends
one JSON line per request (path, headers that matter, body as hex) to
--out. Python's standard library only."""
import argparse
import http.server
import json
import ssl
import sys


def main():
    p = argparse.ArgumentParser()
    for flag in ("--port", "--cert", "--key", "--ca", "--out", "--ready"):
        p.add_argument(flag, required=True)
    a = p.parse_args()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            peer = self.connection.getpeercert() or {}
            subject = dict(x[0] for x in peer.get("subject", ()))
            with open(a.out, "a") as out:
                out.write(json.dumps({
                    "path": self.path,
                    "stream": self.headers.get("X-Pharos-Stream", ""),
                    "key": self.headers.get("Idempotency-Key", ""),
                    "encoding": self.headers.get("Content-Encoding", ""),
                    "client": subject.get("commonName", ""),
                    "body": body.hex(),
                }) + "\n")
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", int(a.port)), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(a.cert, a.key)
    context.load_verify_locations(a.ca)
    context.verify_mode = ssl.CERT_REQUIRED
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with open(a.ready, "w") as r:
        r.write("ready\n")
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
