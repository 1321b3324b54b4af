"""The ASGI entry point for uvicorn workers: settings from the environment, logging set up."""

from app.main import create_app
from app.observability import configure_logging
from app.settings import load_settings

settings = load_settings()
configure_logging(settings.log_level, json=settings.json_logs, secrets=settings.secret_values)
app = create_app(settings)
