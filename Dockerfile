# Production image of the O&M portal (运维合同管理平台). One image serves web, worker and beat;
# docker-compose.yml chooses the command and holds the health checks.

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LANG=C.UTF-8

# WeasyPrint's runtime (it loads these through cffi, so pip cannot bring them):
# - Pango and PangoFT2 lay out the text (they pull in GLib, HarfBuzz, FriBiDi and fontconfig);
# - libharfbuzz-subset0 subsets the embedded fonts: without it every PDF embeds whole fonts and
#   a render takes 6–9 s;
# - fonts-noto-cjk draws Chinese; fontconfig itself brings DejaVu for Latin text;
# - postgresql-client gives `manage.py backup` and `restore` pg_dump and pg_restore (15, as the
#   stack's PostgreSQL).
# Pillow, cffi and psycopg2-binary come as wheels with their own libraries.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fontconfig \
        fonts-noto-cjk \
        postgresql-client \
        poppler-utils \
        tesseract-ocr \
        tesseract-ocr-chi-sim \
    && fc-cache -f \
    && rm -rf /var/lib/apt/lists/*

# The processes run as this user; the code and the collected static files stay owned by root, so
# the application cannot change them.
RUN groupadd --system --gid 10001 om \
    && useradd --system --uid 10001 --gid om --create-home --home-dir /home/om \
        --shell /usr/sbin/nologin om

WORKDIR /app

# The project is not an importable package (packages = []): installing it installs only its
# dependencies. Copied alone first so that a change of source keeps this layer cached.
COPY pyproject.toml README.md ./
RUN pip install ".[s3]" && rm -rf build *.egg-info

COPY . .

ENV STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media \
    OM_VAR_DIR=/app/var \
    WEB_CONCURRENCY=3

# Production settings refuse to start without a real SECRET_KEY and ALLOWED_HOSTS: this run gets
# throwaway ones, and a var folder of its own, which goes away with it.
RUN DEBUG=false \
    SECRET_KEY=collectstatic-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz \
    ALLOWED_HOSTS=build.invalid \
    OM_VAR_DIR=/tmp/om-build \
    python manage.py collectstatic --noinput \
    && rm -rf /tmp/om-build \
    && install -d -o om -g om /app/media /app/var /app/signing-dev /app/audit-anchors

USER om

EXPOSE 8000

# gunicorn reads its number of workers from WEB_CONCURRENCY (3 unless set). The timeout leaves
# room for a PDF rendered in the request.
CMD ["gunicorn", "om_portal.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--timeout", "60", \
     "--graceful-timeout", "30", \
     "--worker-tmp-dir", "/dev/shm", \
     "--access-logfile", "-"]
