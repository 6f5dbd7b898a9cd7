"""`manage.py backup_shop FILE`: the whole shop (database and stored files) in one tar.gz.

FILE may be `-` for standard output, or s3://bucket/key to upload it with the shop's S3 keys
(S3_ENDPOINT_URL, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION). See shop.backup.
"""

import sys
import tempfile

from django.core.management.base import BaseCommand, CommandError

from shop.backup import BackupError, write_backup

from ._s3 import s3_client, split_s3


class Command(BaseCommand):
    help = "Write a consistent backup of the database and every stored file to FILE."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a path, - for standard output, or s3://bucket/key")

    def handle(self, *args, file: str, **options):
        try:
            if file == "-":
                manifest = write_backup(sys.stdout.buffer)
            elif file.startswith("s3://"):
                bucket, key = split_s3(file)
                with tempfile.TemporaryFile() as spool:
                    manifest = write_backup(spool)
                    spool.seek(0)
                    s3_client().upload_fileobj(spool, bucket, key)
            else:
                manifest = write_backup(file)
        except BackupError as error:
            raise CommandError(str(error)) from error
        files = sum(len(names) for names in manifest["files"].values())
        rows = sum(manifest["counts"].values())
        self.stderr.write(f"Backed up {rows} rows and {files} files to {file}.")
        if manifest["missing"]:
            self.stderr.write(f"Deleted while backing up: {', '.join(manifest['missing'])}")
