#!/usr/bin/python3
# A VISS WebSocket client for the end-to-end tests, on Debian's
# python3-websocket (a third-party client, not Pharos code).
#
#   viss_ws_client.py ws://host:port [--subprotocol P[,Q...]|--no-subprotocol]
#                     [--events N] [--timeout S] < requests
#
# Sends each line of stdin as one message and prints every message the
# server sends as one line, in order. Each request waits for the answer
# with its requestId (the draft dialect's reqId; a request without one
# waits for the next message).
# With --events N it then goes on printing until N subscription events
# came. --pipeline sends every request before reading any answer. Exit 0; 3 when the handshake fails (the HTTP status is printed);
# 4 on a timeout (what came is printed); 5 when no WebSocket could be
# opened at all (refused, TLS failed).
import argparse
import json
import sys

import websocket


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("--subprotocol", default="VISSv2")
    p.add_argument("--no-subprotocol", action="store_true")
    p.add_argument("--events", type=int, default=0)
    p.add_argument("--timeout", type=float, default=5)
    p.add_argument("--ca", help="wss: trust this CA (PEM)")
    p.add_argument("--pipeline", action="store_true",
                   help="send every request first, then wait for all the answers")
    a = p.parse_args()
    protocols = None if a.no_subprotocol else a.subprotocol.split(",")
    try:
        ssl = {"ca_certs": a.ca} if a.ca else None
        ws = websocket.create_connection(a.url, subprotocols=protocols, timeout=a.timeout,
                                         sslopt=ssl)
    except websocket.WebSocketBadStatusException as e:
        print(json.dumps({"handshake": e.status_code}), flush=True)
        return 3
    except (OSError, websocket.WebSocketException) as e:
        print(json.dumps({"connect": str(e)}), flush=True)
        return 5
    print(json.dumps({"subprotocol": ws.getsubprotocol()}), flush=True)
    events = 0

    def receive():
        nonlocal events
        message = ws.recv()
        print(message, flush=True)
        try:
            parsed = json.loads(message)
        except ValueError:
            return {}
        # v2/v3 events say so; the draft's carry a subId and no action.
        if parsed.get("action") == "subscription" or ("subId" in parsed and "action" not in parsed):
            events += 1
        return parsed

    try:
        if a.pipeline:
            lines = [l.rstrip("\n") for l in sys.stdin if l.strip()]
            pending = set()
            for line in lines:
                ws.send(line)
                request = json.loads(line)
                pending.add(request.get("requestId", request.get("reqId")))
            while pending:
                got = receive()
                if got.get("action") != "subscription":
                    pending.discard(got.get("requestId", got.get("reqId")))
        for line in ([] if a.pipeline else sys.stdin):
            line = line.rstrip("\n")
            if not line:
                continue
            ws.send(line)
            try:
                request = json.loads(line)
                wanted = request.get("requestId", request.get("reqId"))
            except (ValueError, AttributeError):
                wanted = None
            while True:
                got = receive()
                if wanted is None or got.get("requestId", got.get("reqId")) == wanted:
                    break
        while events < a.events:
            receive()
    except websocket.WebSocketTimeoutException:
        return 4
    ws.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
