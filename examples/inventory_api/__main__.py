"""python -m examples.inventory_api --issuer http://127.0.0.1:8000 --audience https://inventory.example.com"""

from __future__ import annotations

import argparse

import uvicorn

from examples.inventory_api.app import create_app
from gatehouse.rs import TokenValidator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.inventory_api", description=__doc__)
    parser.add_argument("--issuer", required=True, help="gatehouse's issuer URL")
    parser.add_argument("--audience", required=True, help="this API's identifier (token aud)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9001)
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(TokenValidator(args.issuer, args.audience)), host=args.host, port=args.port
    )


if __name__ == "__main__":
    main()
