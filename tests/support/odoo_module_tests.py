"""Run one Odoo module's own tests against the full registry of an existing database.

``odoo-bin --test-enable`` runs a module's at_install tests while that module installs,
before the modules depending on it are loaded; so ``-i mrp_plc_bridge --test-tags /mrp``
would test mrp without the bridge. This script loads the whole registry of a database where
the bridge is already installed, then runs the module's at_install and post_install tests.

Runs under Odoo 14's own Python (3.6-3.8), from the Odoo source tree::

    python odoo_module_tests.py MODULE --addons-path=... -d DB --db_host=... [odoo options]

Its last line is ``MODULE TESTS: <run> run, <failures> failed, <errors> errors``.
"""
import logging
import sys
import threading

import odoo
from odoo.tools import config


def main(argv):
    module, odoo_args = argv[0], argv[1:]
    config.parse_config(odoo_args)
    odoo.netsvc.init_logger()
    logger = logging.getLogger("odoo_module_tests")
    database = config["db_name"]
    threading.current_thread().dbname = database
    # Loading the registry with tests enabled would run tests of modules being loaded.
    config["test_enable"] = False
    odoo.registry(database)
    config["test_enable"] = True
    config["test_tags"] = config["test_tags"] or "/" + module
    from odoo.tests import loader
    from odoo.tests.runner import OdooTestResult

    total = OdooTestResult()
    with odoo.api.Environment.manage():
        for position in ("at_install", "post_install"):
            suite = loader.make_suite(module, position)
            logger.info("%s: %d %s tests", module, suite.countTestCases(), position)
            total.update(loader.run_suite(suite, module))
    print(
        "%s TESTS: %d run, %d failed, %d errors"
        % (module.upper(), total.testsRun, len(total.failures), len(total.errors))
    )
    return 0 if total.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
