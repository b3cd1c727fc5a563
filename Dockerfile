FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml constraints.txt README.md ./
COPY app/ app/
COPY graphql_schema/ graphql_schema/
RUN pip install -c constraints.txt . \
    && rm -rf /src

# The home directory is writable, so the embedded database can keep .data there when
# MONGODB_URI is not set.
RUN useradd --create-home --uid 10001 persona
USER persona
WORKDIR /home/persona

EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["persona-api", "serve", "--host", "0.0.0.0", "--port", "8000"]
