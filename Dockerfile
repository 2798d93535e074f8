# syntax=docker/dockerfile:1
# Build stage: turn the project and its dependencies into wheels.
FROM python:3.11-slim AS build
WORKDIR /src
# A C compiler and OpenSSL's headers build the subject map's C core (ledger/_mapcore.c); the
# runtime image has OpenSSL's library already (Python's own ssl and hashlib use it).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir --upgrade pip
COPY pyproject.toml README.md piccolo_conf.py ./
COPY portal ./portal
COPY ledger ./ledger
COPY migrations ./migrations
COPY tools ./tools
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# Runtime stage: only the installed wheels, running as an unprivileged user.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    ESP_DATA_DIR=/data \
    ESP_LOG_FORMAT=json
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin esp \
    && mkdir -p /data && chown esp:esp /data && chmod 0700 /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER esp
WORKDIR /home/esp
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["esp-portal"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
