# The service image: the API and the projector run from it (see compose.yaml).
# Its base is pinned to an exact release; docs/operations.md, "Upgrading", says
# when and how to move it.
# Every package comes from a hash-pinned lock file, the build backend as well:
# the build resolves nothing, and works from a mirror of those files alone.

# The project's wheel, built with the pinned backend instead of an isolated,
# freshly resolved one.
FROM python:3.11.11-slim-bookworm AS build
WORKDIR /src
COPY requirements-build.lock ./
RUN pip install --no-cache-dir --root-user-action=ignore --require-hashes --no-deps \
    -r requirements-build.lock
COPY pyproject.toml README.md ./
COPY commands ./commands
COPY projections ./projections
COPY stores ./stores
COPY api ./api
RUN pip wheel --no-cache-dir --no-build-isolation --no-deps --wheel-dir /wheels .

FROM python:3.11.11-slim-bookworm
# A user of its own, by number too (as runAsNonRoot checks want): it owns the
# data directory and nothing else.
RUN groupadd --system --gid 10001 clientes \
    && useradd --system --uid 10001 --gid clientes --no-create-home clientes
WORKDIR /app
RUN python -m venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1

COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-deps /wheels/*.whl && rm -rf /wheels

# The embedded default keeps its SQLite file and generated secret in ./var.
# Owned before it is declared a volume: a new volume starts as the image has it.
RUN mkdir var && chown clientes:clientes var
VOLUME /app/var
USER 10001:10001
EXPOSE 8000
CMD ["clientes", "serve", "--host", "0.0.0.0", "--port", "8000"]
