#!/opt/moto/bin/python
"""The test stack's `minio-init`: the media bucket, created unless it exists (S3 API, boto3).
Environment: S3_ENDPOINT_URL, BUCKET, APP_KEY, APP_SECRET."""

import os

import boto3

s3 = boto3.client(
    "s3",
    endpoint_url=os.environ["S3_ENDPOINT_URL"],
    aws_access_key_id=os.environ.get("APP_KEY") or "emocue-test",
    aws_secret_access_key=os.environ.get("APP_SECRET") or "emocue-test-secret",
    region_name="us-east-1",
)
bucket = os.environ["BUCKET"]
if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
    s3.create_bucket(Bucket=bucket)
print(f"bucket {bucket} ready at {os.environ['S3_ENDPOINT_URL']}")
