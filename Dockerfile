# The service image: the API and the projector run from it (see compose.yaml).
FROM python:3.11-slim

WORKDIR /app
RUN python -m venv /app/.venv
ENV PATH=/app/.venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1

COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock

COPY pyproject.toml README.md ./
COPY commands ./commands
COPY projections ./projections
COPY api ./api
RUN pip install --no-cache-dir --no-deps .

USER nobody
EXPOSE 8000
CMD ["clientes", "serve", "--host", "0.0.0.0", "--port", "8000"]
