"""Entry point of ``celery -A workers.entry worker|beat``: builds the Flask app and its Celery app."""

from webapp import create_app

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
app = celery_app
