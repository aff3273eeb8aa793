# Linkstar: one image for web, worker and beat (docker-compose.yml picks the command).
# Not built in this project's CI (no Docker engine there); kept in step with scripts/run.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_ENV=production

RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/*

RUN groupadd --system linkstar && useradd --system --gid linkstar --home-dir /app --shell /usr/sbin/nologin linkstar
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# Build-time values only: collectstatic and compilemessages need settings to load.
RUN SECRET_KEY=build-only FIELD_ENCRYPTION_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.sqlite3 LINKSTAR_ENV_FILE=/dev/null \
    sh -c "python manage.py compilemessages --ignore .venv -v 0 && python manage.py collectstatic --noinput -v 0" \
 && mkdir -p /app/var/media && chown -R linkstar:linkstar /app/var

USER linkstar
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz').status==200 else 1)"
CMD ["gunicorn", "linkstar.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
