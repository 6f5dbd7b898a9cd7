"""The one Celery app: settings come from Django's, under the CELERY_ namespace.

Like wsgi and asgi, it defaults to the production settings, which refuse to start without
SECRET_KEY: a worker started without DJANGO_SETTINGS_MODULE never runs the demo's settings
by accident (scripts/demo and Procfile.demo name the demo's).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
