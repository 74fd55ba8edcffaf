"""The S3-compatible storage the demo (and docs/deploy.md) recommends, as ``STORAGES`` entries.

Two aliases on one bucket:

* ``default``: product photos and style references, which an admin may replace, so
  they get an ordinary cache lifetime;
* ``stylerec_variants`` (``STYLEREC["STORAGE"]``): restyled variants and their smaller
  copies. A variant's name holds a digest of its bytes, so a URL never serves other
  bytes than it first did (whatever ``file_overwrite`` says), and a CDN may keep it
  forever (``immutable``).

URLs are plain (``querystring_auth=False``, served through ``custom_domain``, e.g. a
CDN in front of the bucket), so a page costs no signing and no storage request, and
a URL stays the same from one page view to the next (cacheable).
"""

from __future__ import annotations

import os

VARIANT_CACHE_CONTROL = "public, max-age=31536000, immutable"
PHOTO_CACHE_CONTROL = "public, max-age=86400"
BACKEND = "storages.backends.s3.S3Storage"


def s3_storages(
    bucket: str,
    *,
    endpoint_url: str | None = None,
    custom_domain: str | None = None,
    url_protocol: str = "https:",
    region_name: str | None = None,
    default_acl: str | None = None,
    **extra,
) -> dict[str, dict]:
    """``STORAGES["default"]`` and ``STORAGES["stylerec_variants"]`` on one bucket."""
    common = {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url,
        "region_name": region_name,
        "custom_domain": custom_domain,
        "url_protocol": url_protocol,
        "querystring_auth": False,
        "file_overwrite": False,
        "default_acl": default_acl,
        **extra,
    }
    return {
        "default": {
            "BACKEND": BACKEND,
            "OPTIONS": {**common, "object_parameters": {"CacheControl": PHOTO_CACHE_CONTROL}},
        },
        "stylerec_variants": {
            "BACKEND": BACKEND,
            "OPTIONS": {**common, "object_parameters": {"CacheControl": VARIANT_CACHE_CONTROL}},
        },
    }


def s3_storages_from_env(environ=os.environ) -> dict[str, dict] | None:
    """The two aliases from ``AWS_STORAGE_BUCKET_NAME`` and friends, or None when no bucket is set.

    Credentials come from the usual places boto3 reads (``AWS_ACCESS_KEY_ID`` /
    ``AWS_SECRET_ACCESS_KEY``, an instance role, ...), never from settings.
    """
    bucket = environ.get("AWS_STORAGE_BUCKET_NAME")
    if not bucket:
        return None
    return s3_storages(
        bucket,
        endpoint_url=environ.get("AWS_S3_ENDPOINT_URL") or None,
        custom_domain=environ.get("AWS_S3_CUSTOM_DOMAIN") or None,
        url_protocol=environ.get("AWS_S3_URL_PROTOCOL", "https:"),
        region_name=environ.get("AWS_S3_REGION_NAME") or None,
        default_acl=environ.get("AWS_DEFAULT_ACL") or None,
    )
