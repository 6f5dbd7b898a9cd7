"""`manage.py restore_shop FILE`: restore a backup_shop archive into an empty shop.

Runs migrate first (a new database needs its tables), then refuses unless the database and
both storages are empty (--force loads over what is there). FILE may be s3://bucket/key.
"""

import tempfile

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from shop.backup import BackupError, restore_backup

from ._s3 import s3_client, split_s3


class Command(BaseCommand):
    help = "Restore a backup written by backup_shop into an empty database and storages."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a path or s3://bucket/key")
        parser.add_argument(
            "--force", action="store_true", help="load even though the shop is not empty"
        )

    def handle(self, *args, file: str, force: bool, **options):
        call_command("migrate", interactive=False, verbosity=0)
        try:
            if file.startswith("s3://"):
                bucket, key = split_s3(file)
                with tempfile.TemporaryFile() as spool:
                    s3_client().download_fileobj(bucket, key, spool)
                    spool.seek(0)
                    manifest = restore_backup(spool, force=force)
            else:
                manifest = restore_backup(file, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        except FileNotFoundError as error:
            raise CommandError(f"No such backup: {file}") from error
        files = sum(len(names) for names in manifest["files"].values())
        rows = sum(manifest["counts"].values())
        self.stderr.write(
            f"Restored {rows} rows and {files} files from {file} "
            f"(written {manifest['created_at']} by version {manifest['app_version']})."
        )
