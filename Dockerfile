# Zona: the same install and start commands that CI proves (pip install -e ., zona migrate,
# zona serve), on a slim Python, as a non-root user.
# Set at run time: ZONA_SECRET_KEY, ZONA_DATABASE_URL, ZONA_BASE_URL (the public address; in
# production only its host and localhost are answered, see ZONA_TRUSTED_HOSTS) and, behind a
# reverse proxy, ZONA_TRUSTED_PROXIES (its IPs/CIDRs). See docs/operations.md.
# postgresql-client gives `zona backup` its pg_dump; a client newer than the server is fine.
# Pango and fonts are WeasyPrint's (the PDF reports, docs/reports-lke.md): the fonts are
# embedded in every PDF, so the report looks the same wherever it is opened.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ZONA_DATA_DIR=/data \
    ZONA_ENVIRONMENT=production

RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
       libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation2 fonts-dejavu-core \
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
