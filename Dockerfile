# One image for both long-running processes:
#   docker run IMAGE serve --host 0.0.0.0      (the API)
#   docker run IMAGE scheduler                 (the nightly sync)
#   docker run IMAGE migrate                   (schema upgrade, run once per release)
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY pyproject.toml README.md ./
COPY src ./src
COPY scheduler ./scheduler
RUN pip install --no-cache-dir .

FROM python:3.11-slim AS runtime
RUN useradd --system --uid 10001 --home /app cwsync
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY alembic.ini ./
COPY migrations ./migrations
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    CWSYNC_ENV=production
USER cwsync
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)" || exit 1
ENTRYPOINT ["cwsync"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
