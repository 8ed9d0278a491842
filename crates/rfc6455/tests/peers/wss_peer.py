#!/usr/bin/env python3
"""A wss:// peer on the Python `websockets` library (asyncio API, 15 or
newer), for rfc6455's interop test (tests/tls_python.rs).

  wss_peer.py server CERT KEY   serves one wss:// echo connection on
                                127.0.0.1 (a free port); prints "PORT <n>",
                                echoes every message, then prints
                                "CLOSED <code> <reason>" (the peer's Close)
  wss_peer.py client URL CA     connects trusting CA (PEM), checks the
                                echoes of a text, a binary and a 3 MB
                                message, closes with 4002 "python done",
                                prints "OK"

Exit status 0 on success, 1 on a failed check, 3 when `websockets` is
missing or too old.
"""

import asyncio
import ssl
import sys

try:
    import websockets
    from websockets.asyncio.client import connect
    from websockets.asyncio.server import serve
except ImportError as e:
    print(f"wss_peer.py: cannot import websockets' asyncio API ({e}); "
          "run `python3 -m pip install 'websockets>=15'`", file=sys.stderr)
    sys.exit(3)

if int(websockets.__version__.split(".")[0]) < 15:
    print(f"wss_peer.py: websockets {websockets.__version__} is too old; "
          "run `python3 -m pip install 'websockets>=15'`", file=sys.stderr)
    sys.exit(3)

# Bigger than websockets' default max_size (1 MiB), to cross many TLS
# records and several reads.
LARGE = bytes(i % 251 for i in range(3_000_000))


async def run_server(cert, key):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    done = asyncio.get_running_loop().create_future()

    async def echo(ws):
        try:
            async for message in ws:
                await ws.send(message)
        finally:
            # Also after an abnormal end, so the test sees the code (1006).
            if not done.done():
                done.set_result((ws.close_code, ws.close_reason))

    async with serve(echo, "127.0.0.1", 0, ssl=context, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"PORT {port}", flush=True)
        code, reason = await asyncio.wait_for(done, timeout=60)
        print(f"CLOSED {code} {reason}", flush=True)


async def run_client(url, ca):
    context = ssl.create_default_context(cafile=ca)
    async with connect(url, ssl=context, max_size=None, proxy=None, open_timeout=10) as ws:
        for message in ["hello from python", b"\x00\x01\x02\xff", LARGE, "é" * 40_000]:
            await ws.send(message)
            echoed = await asyncio.wait_for(ws.recv(), timeout=30)
            if echoed != message:
                print(f"wss_peer.py: echo differs for a {type(message).__name__} "
                      f"of {len(message)}: got {type(echoed).__name__} of {len(echoed)}",
                      file=sys.stderr)
                sys.exit(1)
        await ws.close(code=4002, reason="python done")
    print("OK", flush=True)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "server":
        asyncio.run(run_server(sys.argv[2], sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "client":
        asyncio.run(run_client(sys.argv[2], sys.argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
