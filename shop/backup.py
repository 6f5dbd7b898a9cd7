"""One archive holding a whole shop: the database and every stored file, and its restore.

The database is written with Django's dumpdata (natural keys for users' groups, content types
and permissions; every other row keeps its primary key, so orders' tracking tokens, review links
and foreign keys survive), inside one read-only REPEATABLE READ transaction on PostgreSQL (one
snapshot: an order and its lines, a review and its photos, are never half in it). JSON rather
than pg_dump: one format that restores on PostgreSQL or SQLite alike (a shop moved from a
demo to a server, or restored on a laptop to look at), readable and checkable; pg_dump would be
faster for very large shops but binds the backup to one engine and version.

Files come from STORAGES["default"] and ["private"] through the storage API (so a bucket works
as the disk does), after the snapshot: files are written before their rows commit and deleted
after, so every file the snapshot names is there (one deleted in between is listed as
missing in the manifest). The manifest holds counts per table, each file's size and SHA-256,
the app's version and the migrations applied.

Layout of the tar.gz: manifest.json, database.json, files/default/<name>, files/private/<name>.
"""

import hashlib
import io
import json
import tarfile
import tempfile
from collections import Counter
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from django.apps import apps
from django.core.files.base import File
from django.core.files.storage import storages
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.recorder import MigrationRecorder

FORMAT = 1
STORAGE_NAMES = ("default", "private")
# Rebuilt by migrate itself (or per session): never restored from a backup.
EXCLUDED = ["contenttypes", "auth.permission", "sessions", "admin.logentry"]
# Tables whose rows make a database "not empty" for restore (migrations create groups). Every
# order, review and ticket needs a product or an account first, so these few tell.
CONTENT_MODELS = ("accounts.User", "shop.Product", "shop.Category")


class BackupError(Exception):
    """The archive cannot be written or restored; the message says why."""


def app_version() -> str:
    try:
        return version("garment-storefront")
    except PackageNotFoundError:
        import tomllib

        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        return tomllib.loads(pyproject.read_text())["project"]["version"]


def applied_migrations() -> list[str]:
    return sorted(
        f"{app}.{name}"
        for app, name in MigrationRecorder(connection).migration_qs.values_list("app", "name")
    )


def _walk(storage, folder: str = ""):
    """Every file name under `folder` of `storage`, recursively."""
    folders, files = storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}" if folder else name
    for sub in folders:
        yield from _walk(storage, f"{folder}/{sub}" if folder else sub)


def stored_files(alias: str) -> list[str]:
    storage = storages[alias]
    try:
        return sorted(_walk(storage))
    except FileNotFoundError:
        return []  # a disk storage whose folder was never made


def _sha256(handle) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: handle.read(1024 * 1024), b""):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _dump_database(path: Path) -> dict[str, int]:
    """dumpdata into `path` from one snapshot; returns the rows per model."""
    # Inside a caller's transaction (a test's) the snapshot is that transaction's already;
    # SET TRANSACTION is allowed only as a transaction's first statement.
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        call_command(
            "dumpdata",
            exclude=EXCLUDED,
            natural_foreign=True,
            natural_primary=True,
            output=str(path),
            verbosity=0,
        )
    rows = json.loads(path.read_text())
    return dict(Counter(row["model"] for row in rows))


def write_backup(target) -> dict:
    """Write the shop's backup to `target` (a path or a binary file); return its manifest.

    Raises BackupError when a stored file cannot be read.
    """
    with tempfile.TemporaryDirectory(prefix="shop-backup-") as work:
        database = Path(work) / "database.json"
        counts = _dump_database(database)
        with database.open("rb") as handle:
            database_sha, database_size = _sha256(handle)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(),
            "app_version": app_version(),
            "database_vendor": connection.vendor,
            "migrations": applied_migrations(),
            "counts": counts,
            "database": {"sha256": database_sha, "size": database_size},
            "files": {},
            "missing": [],
        }
        opened = (
            tarfile.open(fileobj=target, mode="w:gz")
            if hasattr(target, "write")
            else tarfile.open(target, mode="w:gz")
        )
        with opened as archive:
            archive.add(database, arcname="database.json")
            for alias in STORAGE_NAMES:
                storage, listed = storages[alias], {}
                for name in stored_files(alias):
                    try:
                        with storage.open(name, "rb") as handle:
                            sha, size = _sha256(handle)
                            handle.seek(0)
                            info = tarfile.TarInfo(f"files/{alias}/{name}")
                            info.size = size
                            archive.addfile(info, handle)
                    except FileNotFoundError:
                        manifest["missing"].append(f"{alias}/{name}")  # deleted meanwhile
                        continue
                    listed[name] = {"sha256": sha, "size": size}
                manifest["files"][alias] = listed
            data = json.dumps(manifest, indent=1, sort_keys=True).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return manifest


def read_manifest(archive: tarfile.TarFile) -> dict:
    try:
        member = archive.extractfile("manifest.json")
    except KeyError as error:
        raise BackupError("This file is not a shop backup: it has no manifest.json.") from error
    manifest = json.load(member)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Backup format {manifest.get('format')} is not {FORMAT}.")
    return manifest


def not_empty() -> list[str]:
    """What already holds data here: the tables and storages a restore would mix with."""
    found = [label for label in CONTENT_MODELS if apps.get_model(label)._default_manager.exists()]
    found += [f"storage {alias}" for alias in STORAGE_NAMES if stored_files(alias)]
    return found


def restore_backup(source, *, force: bool = False) -> dict:
    """Restore the archive `source` (a path or a binary file) into this database (migrated)
    and storages; return its manifest.

    Refuses (BackupError) unless the database and storages are empty, or `force`; refuses an
    archive from migrations this code does not have, and any file or dump whose checksum
    differs from the manifest's. The database is loaded in one transaction: a failure leaves
    it empty again (files already written stay; restore into empty storages again).
    """
    opened = (
        tarfile.open(fileobj=source, mode="r:gz")
        if hasattr(source, "read")
        else tarfile.open(source, mode="r:gz")
    )
    with opened as archive:
        manifest = read_manifest(archive)
        unknown = set(manifest["migrations"]) - set(applied_migrations())
        if unknown:
            raise BackupError(
                "The backup comes from a newer version of the shop (migrations "
                f"{', '.join(sorted(unknown)[:5])} are unknown here): update the code first."
            )
        if not force and (found := not_empty()):
            raise BackupError(
                f"Not empty: {', '.join(found)}. Restore into a new database and empty "
                "storages, or pass --force to load over what is there."
            )
        with tempfile.TemporaryDirectory(prefix="shop-restore-") as work:
            database = Path(work) / "database.json"
            database.write_bytes(archive.extractfile("database.json").read())
            with database.open("rb") as handle:
                if _sha256(handle)[0] != manifest["database"]["sha256"]:
                    raise BackupError("database.json does not match its checksum: damaged.")
            for alias in STORAGE_NAMES:
                storage = storages[alias]
                for name, meta in manifest["files"].get(alias, {}).items():
                    member = archive.extractfile(f"files/{alias}/{name}")
                    data = member.read()
                    if hashlib.sha256(data).hexdigest() != meta["sha256"]:
                        raise BackupError(f"{alias}/{name} does not match its checksum.")
                    if force and storage.exists(name):
                        storage.delete(name)
                    saved = storage.save(name, File(io.BytesIO(data), name=name))
                    if saved != name:
                        raise BackupError(f"{alias}/{name} was stored as {saved}.")
            with transaction.atomic():
                call_command("loaddata", str(database), verbosity=0)
    return manifest
