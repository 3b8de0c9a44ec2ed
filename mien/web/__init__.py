"""The web app: create_app(predictor) -> a FastAPI app with the page and the HTTP API."""

from mien.web.app import create_app
from mien.web.settings import WebSettings

__all__ = ["WebSettings", "create_app"]
