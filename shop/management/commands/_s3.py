"""s3://bucket/key addresses for backup_shop and restore_shop, with the shop's S3 settings."""

import os

from django.core.management.base import CommandError


def split_s3(address: str) -> tuple[str, str]:
    bucket, _, key = address.removeprefix("s3://").partition("/")
    if not bucket or not key:
        raise CommandError(f"{address} is not s3://bucket/key.")
    return bucket, key


def s3_client():
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=os.environ.get("S3_ENDPOINT_URL") or None,
        aws_access_key_id=os.environ.get("S3_ACCESS_KEY_ID") or None,
        aws_secret_access_key=os.environ.get("S3_SECRET_ACCESS_KEY") or None,
        region_name=os.environ.get("S3_REGION") or None,
        config=Config(
            signature_version=os.environ.get("S3_SIGNATURE_VERSION", "s3v4"),
            s3={"addressing_style": os.environ.get("S3_ADDRESSING_STYLE", "path")},
        ),
    )
