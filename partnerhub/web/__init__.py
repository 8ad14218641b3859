"""The web layer: the FastAPI app — the JSON API and the dashboard pages."""

from partnerhub.web.app import ACCESS, create_app
from partnerhub.web.dashboard import PAGES

__all__ = ["ACCESS", "PAGES", "create_app"]
