# One image for every app service of docker-compose.yml: web (gunicorn), worker-cpu and
# worker-gpu (celery), and the one-shot migrate. torch from PyPI's default Linux wheel, which
# brings its CUDA libraries: the GPU worker needs only the host's NVIDIA driver (and the NVIDIA
# container toolkit); the CPU services use the same wheel on the CPU.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    DJANGO_SETTINGS_MODULE=studio.settings.production \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/srv/media \
    EMOCUE_VAR_DIR=/srv/var

RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg espeak-ng \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# Runtime pins only: requirements-dev.txt (tests, lint and type checks) stays out of the image.
COPY requirements.txt .
RUN pip install --no-cache-dir torch==2.13.0 \
    && pip install --no-cache-dir -r requirements.txt

COPY . .
# Static files are collected into the image (whitenoise serves them); the key is a throwaway
# that production settings accept only because nothing is signed during collectstatic.
RUN DJANGO_SECRET_KEY=build-only-not-secret-0123456789abcdef-0123456789 \
    python manage.py collectstatic --noinput -v 0

# Run unprivileged. /srv/media is the media volume's mount point: a new named volume takes this
# ownership from the image.
RUN useradd --create-home --uid 10001 studio \
    && mkdir -p /srv/media /srv/var \
    && chown -R studio:studio /srv/media /srv/var
USER studio

EXPOSE 8000
CMD ["gunicorn", "studio.wsgi:application", "--bind", "0.0.0.0:8000"]
