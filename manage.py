#!/usr/bin/env python
import os
import sys

# Commands that only write the project's own source files (migrations, the translation
# catalogue) run on the demo settings when none are named, as development needs; every other
# command defaults to production like wsgi, asgi and the Celery worker and beat, so that
# `manage.py migrate` or `createsuperuser` on a server never lands in the demo's SQLite file.
# make demo, Procfile.demo and scripts name the demo settings themselves.
SOURCE_COMMANDS = {"makemigrations", "makemessages", "compilemessages"}


def default_settings(argv: list[str]) -> str:
    command = argv[1] if len(argv) > 1 else ""
    if command in SOURCE_COMMANDS:
        return "config.settings.demo"
    return "config.settings.production"


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", default_settings(sys.argv))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
