# The test stack's infrastructure (docker-compose.test.yml), from the same local base as the
# app: Debian's PostgreSQL 15 and Redis, and moto's S3 server standing in for MinIO (whose
# image cannot be built here). One image, three services; each picks its command.
#   docker build --network host -f deploy/services.Dockerfile deploy
ARG BASE_IMAGE=emocue-base:bookworm
FROM ${BASE_IMAGE}

# Debian's packaging creates a "main" cluster on install; the entry point makes its own in the
# service's volume instead, so that one is dropped.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        postgresql-15 redis-server \
    && pg_dropcluster --stop 15 main \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /var/lib/postgresql/data /data \
    && chown postgres:postgres /var/lib/postgresql/data && chmod 700 /var/lib/postgresql/data \
    && chown redis:redis /data

ARG PIP_WHEELS=""
COPY services/requirements.txt /opt/moto-requirements.txt
RUN python3 -m venv /opt/moto \
    && /opt/moto/bin/pip install --no-cache-dir $PIP_WHEELS -r /opt/moto-requirements.txt

COPY services/postgres.sh /usr/local/bin/emocue-postgres
COPY services/s3_bucket.py /usr/local/bin/emocue-s3-bucket
CMD ["bash"]
