# One image definition for every app service of docker-compose.yml, in two torch flavours:
#   cpu   torch's CPU wheel: web (gunicorn), migrate and worker-cpu (celery -Q cpu)
#   cuda  PyPI's default Linux torch wheel, which brings its CUDA libraries: worker-gpu
#         (celery -Q gpu), which needs only the host's NVIDIA driver and container toolkit.
# Build arguments:
#   BASE_IMAGE     the official python:3.11-slim-bookworm by default; deploy/build-base.sh
#                  builds an equivalent from Debian packages where no image registry is reached
#   TORCH_FLAVOUR  cpu | cuda (default cuda, the image a GPU host needs)
#   PIP_WHEELS     extra pip options, e.g. "--no-index --find-links http://127.0.0.1:58099/"
#                  to install from a local wheel folder (deploy/wheelhouse.sh) instead of PyPI
# Layers go from what changes least to what changes most: system packages, the virtualenv
# and the pinned requirements come before the code, so a code change rebuilds the last layers.
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    DJANGO_SETTINGS_MODULE=studio.settings.production \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/srv/media \
    EMOCUE_VAR_DIR=/srv/var

# ffmpeg and espeak-ng from Debian, unless the base has them already (the local base does).
RUN if ! command -v ffmpeg >/dev/null || ! command -v espeak-ng >/dev/null; then \
        apt-get update && apt-get install -y --no-install-recommends ffmpeg espeak-ng \
        && rm -rf /var/lib/apt/lists/*; \
    fi

# A virtualenv: the same on the official image's Python and on Debian's (which refuses
# system-wide pip installs). Unprivileged user; /srv/media is the media volume's mount point,
# and a new named volume takes this ownership from the image.
RUN python3 -m venv /opt/venv \
    && useradd --create-home --uid 10001 studio \
    && mkdir -p /srv/media /srv/var \
    && chown -R studio:studio /srv/media /srv/var

WORKDIR /app
ARG TORCH_FLAVOUR=cuda
ARG TORCH_CPU_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG PIP_WHEELS=""
LABEL org.emocue.torch-flavour=${TORCH_FLAVOUR}
# Runtime pins only: requirements-dev.txt (tests, lint and type checks) stays out of the image.
# torch first, in the chosen flavour; requirements.txt's torch==2.13.0 then accepts either.
COPY requirements.txt .
RUN set -eu; \
    case "$TORCH_FLAVOUR" in \
        cpu) torch_index="--index-url $TORCH_CPU_INDEX_URL" ;; \
        cuda) torch_index="" ;; \
        *) echo "TORCH_FLAVOUR must be cpu or cuda, not '$TORCH_FLAVOUR'" >&2; exit 1 ;; \
    esac; \
    pip install --no-cache-dir $PIP_WHEELS $torch_index torch==2.13.0; \
    pip install --no-cache-dir $PIP_WHEELS -r requirements.txt; \
    python -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"

COPY . .
# Static files are collected into the image (whitenoise serves them); the key is a throwaway
# that production settings accept only because nothing is signed during collectstatic.
RUN DJANGO_SECRET_KEY=build-only-not-secret-0123456789abcdef-0123456789 \
    python manage.py collectstatic --noinput -v 0
USER studio

EXPOSE 8000
CMD ["gunicorn", "studio.wsgi:application", "--bind", "0.0.0.0:8000"]
