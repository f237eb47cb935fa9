#!/bin/bash
# One-shot start-up step for Odoo in the compose stack (service odoo-init), before the server:
#
#  1. installs mrp_plc_bridge with its demo data when the database does not have it yet. Odoo
#     treats -i on an installed module as a reinstall that loads the demo data again (every
#     demo MO gets a second set of moves), so -i is only given when the module is missing;
#  2. gives the line's agent its Odoo user (group "PLC agent" only) and an API key, written
#     to PLC_AGENT_KEY_FILE for the agent container (ODOO_PASSWORD_FILE), when that file does
#     not exist yet.
#
# Running it again changes nothing. Upgrading the module is a separate, explicit command
# (README, "Upgrading").
#
# Environment: HOST, PORT, USER, PASSWORD (the database server, as for the odoo image's
# entrypoint), ODOO_DATABASE, PLC_LINE_CODE, PLC_AGENT_KEY_FILE.
set -euo pipefail

database=${ODOO_DATABASE:?ODOO_DATABASE: the Odoo database to prepare}
: "${PLC_LINE_CODE:?PLC_LINE_CODE: the line whose agent gets a user and a key}"
key_file=${PLC_AGENT_KEY_FILE:?PLC_AGENT_KEY_FILE: where the API key of the agent is written}
here=$(cd "$(dirname "$0")" && pwd)

# Started as root (compose: user root) only to hand the key's folder to the odoo user; every
# Odoo command runs as odoo so that the filestore it writes stays odoo's.
if [ "$(id -u)" = 0 ] && id odoo >/dev/null 2>&1; then
    install -d -o odoo -g odoo -m 0755 "$(dirname "$key_file")"
    HOME=$(getent passwd odoo | cut -d: -f6) exec setpriv --reuid=odoo --regid=odoo --init-groups -- bash "$0" "$@"
fi

# This script is started through the image's entrypoint as "bash ...", so it passes the
# database arguments itself, as the entrypoint does for "odoo ...".
db_args=(--db_host "${HOST:-db}" --db_port "${PORT:-5432}" --db_user "${USER:-odoo}" --db_password "${PASSWORD:-odoo}")
export PGHOST=${HOST:-db} PGPORT=${PORT:-5432} PGUSER=${USER:-odoo} PGPASSWORD=${PASSWORD:-odoo}

for attempt in $(seq 1 30); do
    psql -X -q -d postgres -c 'SELECT 1' >/dev/null 2>&1 && break
    [ "$attempt" = 30 ] && { echo "odoo-init: database server $PGHOST:$PGPORT does not answer" >&2; exit 1; }
    sleep 1
done

module_state() {
    local exists
    # psql replaces :'db' (quoted) in its input only, not in -c.
    exists=$(psql -X -q -t -A -d postgres -v db="$database" \
        <<< "SELECT 1 FROM pg_database WHERE datname = :'db'")
    if [ "$exists" != 1 ]; then
        echo "no database"
        return
    fi
    if [ "$(psql -X -q -t -A -d "$database" -c "SELECT to_regclass('ir_module_module') IS NOT NULL")" != t ]; then
        echo "empty database"
        return
    fi
    psql -X -q -t -A -d "$database" \
        -c "SELECT state FROM ir_module_module WHERE name = 'mrp_plc_bridge'" | grep . \
        || echo "not in the module list"
}

state=$(module_state)
case "$state" in
    installed | "to upgrade" | "to remove")
        echo "odoo-init: mrp_plc_bridge is $state in $database: not installed again"
        ;;
    *)
        echo "odoo-init: mrp_plc_bridge in $database: $state; installing it with its demo data"
        odoo --database="$database" --init=mrp_plc_bridge --stop-after-init --no-http \
            --log-level=warn "${db_args[@]}"
        state=$(module_state)
        if [ "$state" != installed ]; then
            echo "odoo-init: the install did not complete (mrp_plc_bridge: $state)" >&2
            exit 1
        fi
        ;;
esac

if [ -s "$key_file" ]; then
    echo "odoo-init: $key_file exists: the agent's key is kept"
else
    echo "odoo-init: creating line $PLC_LINE_CODE's agent user and API key into $key_file"
    odoo shell --database="$database" --no-http --log-level=warn "${db_args[@]}" \
        < "$here/agent_access.py"
    [ -s "$key_file" ] || { echo "odoo-init: no key was written to $key_file" >&2; exit 1; }
fi
