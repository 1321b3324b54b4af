# syntax=docker/dockerfile:1

# Build stage: a virtual environment holding the service and its dependencies. Every dependency
# ships manylinux wheels for CPython 3.11, so no compiler is needed here either.
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH

WORKDIR /srv/referrals
# The pinned dependencies first, every file checked against the lock's hashes (setuptools, the
# build backend, among them): an image built from the code alone reuses this layer.
COPY requirements.lock ./
RUN --mount=type=cache,target=/root/.cache/pip pip install --require-hashes -r requirements.lock
COPY pyproject.toml ./
COPY app ./app
# Editable on purpose: app.migrate finds alembic.ini and migrations/ beside app/, as in a
# checkout, so the final stage puts the source back at this same path. Nothing is resolved or
# fetched here: the lock brought every dependency and the build backend.
RUN pip install --no-deps --no-build-isolation -e .


# Final stage: the venv and the source, nothing to build with, run as an unprivileged user.
FROM python:3.11-slim

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    APP_ENV=production \
    HOST=0.0.0.0 \
    PORT=8000

RUN groupadd --system --gid 10001 referrals \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin referrals

WORKDIR /srv/referrals
COPY --from=build /opt/venv /opt/venv
# Owned by root and read-only to the service: the process cannot rewrite its own code.
COPY app ./app
COPY migrations ./migrations
COPY alembic.ini ./

USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/health/ready', timeout=2)"]
CMD ["python", "-m", "app", "serve"]
