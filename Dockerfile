# Image for the portal's web server, Celery worker and beat, and the demo's fake
# Linode API. docker-compose.yml runs each of them from this one image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# collectstatic only reads settings; this key exists for the build step alone and
# the running containers get theirs from SECRET_KEY or the var volume.
RUN SECRET_KEY=collectstatic-build-step-only PORTAL_VAR_DIR=/tmp/build-var \
        python manage.py collectstatic --noinput \
    && rm -rf /tmp/build-var \
    && useradd --create-home --uid 1000 portal \
    && mkdir -p /app/var \
    && chown portal:portal /app/var

USER portal
VOLUME ["/app/var"]
EXPOSE 8000

# 0.0.0.0 is the container's own interface; publish the port on the host's
# loopback only (docker run -p 127.0.0.1:8000:8000), as docker-compose.yml does.
CMD ["gunicorn", "reseller.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-"]
