"""`python -m sandbox --port 8765`: run every stand-in until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from sandbox.app import Sandbox, SandboxConfig


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--mp-webhook-url", default=None)
    parser.add_argument("--mp-webhook-secret", default="sandbox-secret")
    parser.add_argument("--mp-access-token", default=None)
    return parser.parse_args()


async def _serve(args: argparse.Namespace) -> None:
    config = SandboxConfig(
        mp_webhook_url=args.mp_webhook_url,
        mp_webhook_secret=args.mp_webhook_secret,
        mp_access_token=args.mp_access_token,
    )
    sandbox = Sandbox(config)
    await sandbox.start(args.host, args.port)
    try:
        print(f"sandbox listening on {sandbox.url}", flush=True)
        print(f"  MercadoPago endpoint: {sandbox.url}/mercadopago", flush=True)
        await asyncio.Event().wait()
    finally:
        await sandbox.stop()


def main() -> None:
    args = _arguments()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
