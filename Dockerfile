# The app's image: web (gunicorn, the default command), worker, beat and the release step all
# run it (compose.yaml). Built FROM a Debian 12 base made from Debian's packages by
# deploy/build-base-images.sh, as no image registry may be reachable; with one, a
# `FROM debian:bookworm-slim` works the same.
ARG BASE=shop-base:bookworm
FROM ${BASE}

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-venv ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home shop

WORKDIR /app
# The pinned packages first (pyproject.toml's list at constraints.txt's versions), so that a
# code change reuses this layer: from deploy/wheels/ when deploy/build-wheels.sh filled it (a
# build machine whose containers cannot reach PyPI), else from PyPI.
COPY pyproject.toml constraints.txt ./
COPY deploy/wheels/ /tmp/wheels/
RUN python3 -m venv .venv \
 && python3 -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' >/tmp/requirements.txt \
 && if ls /tmp/wheels/*.whl >/dev/null 2>&1; then offline="--no-index --find-links /tmp/wheels"; else offline=""; fi \
 && .venv/bin/pip install -q --no-cache-dir $offline -c constraints.txt -r /tmp/requirements.txt \
 && rm -rf /tmp/wheels /tmp/requirements.txt

COPY . .
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    VAR_DIR=/var/lib/shop \
    MEDIA_ROOT=/var/lib/shop/media \
    PRIVATE_MEDIA_ROOT=/var/lib/shop/private \
    PORT=8000
# Static files with hashed names and their manifest, in the image for whitenoise; the release
# step copies them to the volume Caddy serves. Production settings need a secret and a real
# SMS provider to load: throwaway values for this one command, kept in no layer's environment.
RUN SECRET_KEY=build-only-not-a-secret-build-only-not-a-secret-000000 \
    SMS_PROVIDER=messaging.sms.console.ConsoleSms \
    python manage.py collectstatic --noinput -v0 \
 && python -m compileall -q config accounts messaging shop orders support reviews followups \
 && mkdir -p /var/lib/shop/media /var/lib/shop/private /var/lib/shop/static \
 && chown -R shop:shop /var/lib/shop

USER shop
EXPOSE 8000
# gunicorn reads WEB_CONCURRENCY for its worker count; BIND (host networking in tests) or PORT.
CMD ["sh", "-c", "exec gunicorn config.wsgi --bind \"${BIND:-0.0.0.0:$PORT}\" --no-control-socket --forwarded-allow-ips='*' --timeout ${WEB_TIMEOUT:-30}"]
