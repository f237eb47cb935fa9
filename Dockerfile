# The PLC agent (one container per PLC line).
#   docker build -t plc-agent .
#   docker run --env-file plc-agent.env -v plc-agent-data:/var/lib/plc-agent plc-agent
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PLC_AGENT_DATA_DIR=/var/lib/plc-agent

WORKDIR /src
COPY pyproject.toml README.md ./
COPY plc_agent ./plc_agent
# psycopg2-binary for postgresql:// queue databases; SQLite needs nothing extra.
RUN pip install '.[postgresql]' \
    && rm -rf /src \
    && useradd --system --create-home --home-dir /var/lib/plc-agent --shell /usr/sbin/nologin plc-agent

USER plc-agent
WORKDIR /var/lib/plc-agent
VOLUME ["/var/lib/plc-agent"]

# `plc-agent run` ends with 0 on SIGTERM (docker stop) after the running job.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=60s --timeout=20s --start-period=30s \
    CMD ["plc-agent", "status"]
ENTRYPOINT ["plc-agent"]
CMD ["run"]
