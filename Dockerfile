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

# `plc-agent run` ends with 0 on SIGTERM after the running job, which can take a whole Odoo
# timeout: give it time (docker stop --time 90, compose stop_grace_period: 90s).
STOPSIGNAL SIGTERM
# Healthy while the service loop cycles; an unreachable PLC or Odoo is only "degraded" (the
# agent waits for them itself). Reads two files, opens no PLC, Odoo or database connection.
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["plc-agent", "health"]
ENTRYPOINT ["plc-agent"]
CMD ["run"]
