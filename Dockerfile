FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends ffmpeg espeak-ng \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir torch==2.13.0 \
    && pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DJANGO_SECRET_KEY=build-only-not-secret-0123456789abcdef \
    DJANGO_SETTINGS_MODULE=studio.settings.production python manage.py collectstatic --noinput
EXPOSE 8000
