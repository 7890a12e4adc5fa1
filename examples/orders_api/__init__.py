"""A small orders API protected by gatehouse.rs; see README.md."""

from examples.orders_api.app import create_app

__all__ = ["create_app"]
