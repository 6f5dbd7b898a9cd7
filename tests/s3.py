"""A local S3-compatible server for the tests: moto's server mode, on 127.0.0.1.

Requests reach it through boto3 (as in production, signed with the keys below); moto checks the
signature's form and, for unsigned requests, the bucket policy and the object's ACL, so an
anonymous GET of a private object is refused as a real store refuses it.
"""

import json
import uuid

import boto3
import pytest
from django.test import override_settings

from config.settings.base import s3_storages

HOST = "127.0.0.1"
PORT = 9401
ENDPOINT = f"http://{HOST}:{PORT}"
KEYS = {"S3_ACCESS_KEY_ID": "test-access-key", "S3_SECRET_ACCESS_KEY": "test-secret-key"}


def client():
    return boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        aws_access_key_id=KEYS["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["S3_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )


def create_buckets(prefix: str = "shop") -> dict[str, str]:
    """A public-read media bucket and a private one, freshly named; their environment."""
    suffix = uuid.uuid4().hex[:10]
    media, private = f"{prefix}-media-{suffix}", f"{prefix}-private-{suffix}"
    s3 = client()
    s3.create_bucket(Bucket=media)
    s3.create_bucket(Bucket=private)
    # What the owner sets on the store's console: anyone may read the media bucket's objects.
    s3.put_bucket_policy(
        Bucket=media,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws:s3:::{media}/*",
                    }
                ],
            }
        ),
    )
    return {
        "S3_ENDPOINT_URL": ENDPOINT,
        "S3_REGION": "us-east-1",
        "MEDIA_BUCKET": media,
        "PRIVATE_BUCKET": private,
        **KEYS,
    }


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server, for the whole session; its ENDPOINT."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=HOST, port=PORT, verbose=False)
    server.start()
    yield ENDPOINT
    server.stop()


@pytest.fixture
def s3_media(s3_server, settings):
    """STORAGES["default"] and ["private"] in two new buckets of the local server, as
    production's settings make them from the environment; the environment is returned."""
    environ = create_buckets()
    storages = {**settings.STORAGES, **s3_storages(environ)}
    with override_settings(STORAGES=storages):
        yield environ
