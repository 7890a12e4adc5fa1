"""python -m examples.orders_api --issuer http://127.0.0.1:8000 --audience https://orders.example.com"""

from __future__ import annotations

import argparse
import os

import uvicorn

from examples.orders_api.app import create_app
from examples.orders_api.inventory import Inventory
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
    parser.add_argument(
        "--inventory",
        nargs=3,
        metavar=("URL", "AUDIENCE", "CLIENT_ID"),
        help=f"serve GET /stock/ITEM by asking the inventory API at URL (identifier AUDIENCE) "
        f"on the user's behalf, exchanging tokens as CLIENT_ID; its secret is read from "
        f"${SECRET_VARIABLE}",
    )
    args = parser.parse_args(argv)
    secret = os.environ.get(SECRET_VARIABLE, "")
    for option, given in (("--introspect-as", args.introspect_as), ("--inventory", args.inventory)):
        if given and not secret:
            parser.error(f"{option} needs the client secret in ${SECRET_VARIABLE}")
    introspection = Introspection(args.introspect_as, secret) if args.introspect_as else None
    validator = TokenValidator(args.issuer, args.audience, introspection=introspection)
    inventory = None
    if args.inventory:
        url, audience, client_id = args.inventory
        inventory = Inventory(args.issuer, url, audience, client_id, secret)
    uvicorn.run(create_app(validator, inventory), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
