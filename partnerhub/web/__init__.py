"""The web layer: the FastAPI app (JSON API now; pages with later issues)."""

from partnerhub.web.app import ACCESS, create_app

__all__ = ["ACCESS", "create_app"]
