"""The example inventory API: a downstream API the orders API calls on its users' behalf."""

from examples.inventory_api.app import create_app

__all__ = ["create_app"]
