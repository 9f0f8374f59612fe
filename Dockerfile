# Zona: the same install and start commands that CI proves (pip install -e ., zona migrate,
# zona serve), on a slim Python, as a non-root user. Debian bookworm: its postgresql-client is
# 15, the major version of the server in compose.yaml (`zona backup` runs pg_dump in here, where
# the upload store is mounted, and pg_dump must be at least as new as the server).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ZONA_DATA_DIR=/data \
    ZONA_ENVIRONMENT=production

RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY scripts ./scripts
RUN python -m pip install --no-cache-dir -e . \
    && useradd --create-home --uid 10001 zona \
    && mkdir -p /data/uploads \
    && chown -R zona /data

USER zona
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=4).status == 200 else 1)"
CMD ["sh", "scripts/prestart.sh"]
