# Run by odoo-init.sh through `odoo shell`: gives line PLC_LINE_CODE its agent user and a new
# API key, through the same server method as the line form's "Agent access" button, and writes
# the key to PLC_AGENT_KEY_FILE for the agent container. `odoo shell` rolls back on exit, so
# this script commits; the file appears only after the commit, so a key in the file always
# works. The key is never printed.
#
#   PLC_LINE_CODE=FM1 PLC_AGENT_KEY_FILE=fm1-api-key odoo-bin shell -d DB --no-http < agent_access.py
import os
import tempfile

line_code = os.environ["PLC_LINE_CODE"]
key_file = os.environ["PLC_AGENT_KEY_FILE"]
line = env["mrp.plc.line"].with_context(active_test=False).search([("code", "=", line_code)])
if not line:
    raise SystemExit("agent_access: no PLC line with code %r in this database" % line_code)
user, key = line._plc_agent_grant_access()
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(key_file) or ".", prefix=".odoo-api-key-")
try:
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    # Readable by the owner only, unless PLC_AGENT_KEY_FILE_MODE says otherwise: the compose
    # agent runs as another user, and only it and odoo-init mount the key's volume.
    os.chmod(tmp, int(os.environ.get("PLC_AGENT_KEY_FILE_MODE") or "0600", 8))
    env.cr.commit()
    # The old key's removal is cached by every running Odoo worker: tell them, as a
    # request ending does (this shell's own changes are otherwise signalled to nobody).
    env.registry.signal_changes()
    os.replace(tmp, key_file)
except BaseException:
    if os.path.exists(tmp):
        os.unlink(tmp)
    raise
print("agent_access: user %s of line %s, key written to %s" % (user.login, line_code, key_file))
