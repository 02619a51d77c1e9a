# The second half of deploy/build-base.sh: Debian's Python 3.11, ffmpeg and espeak-ng on the
# imported minbase root file system. `python` is Debian's python3.11, as in the official image.
ARG MINBASE
FROM ${MINBASE}
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get upgrade -y \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        ca-certificates python3.11 python3.11-venv python3-venv python-is-python3 \
        ffmpeg espeak-ng \
    && rm -rf /var/lib/apt/lists/*
CMD ["python3"]
