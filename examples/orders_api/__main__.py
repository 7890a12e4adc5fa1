"""python -m examples.orders_api --issuer http://127.0.0.1:8000 --audience https://orders.example.com"""

from __future__ import annotations

import argparse
import os

import uvicorn

from examples.orders_api.app import create_app
from gatehouse.rs import Introspection, TokenValidator

SECRET_VARIABLE = "ORDERS_API_CLIENT_SECRET"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.orders_api", description=__doc__)
    parser.add_argument("--issuer", required=True, help="gatehouse's issuer URL")
    parser.add_argument("--audience", required=True, help="this API's identifier (token aud)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument(
        "--introspect-as",
        metavar="CLIENT_ID",
        help=f"check every token with gatehouse's introspection endpoint, authenticating as "
        f"this client; its secret is read from ${SECRET_VARIABLE}",
    )
    args = parser.parse_args(argv)
    introspection = None
    if args.introspect_as:
        secret = os.environ.get(SECRET_VARIABLE)
        if not secret:
            parser.error(f"--introspect-as needs the client secret in ${SECRET_VARIABLE}")
        introspection = Introspection(args.introspect_as, secret)
    validator = TokenValidator(args.issuer, args.audience, introspection=introspection)
    uvicorn.run(create_app(validator), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
