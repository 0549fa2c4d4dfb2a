"""Benchmark harness: cluedesk's complete-task step against a raw SpiffWorkflow baseline.

Run it with `python -m bench` (or `make bench`); `python -m bench --quick` is a smoke run.
"""

import os

# Benchmarks run against scratch databases with their own fixed secrets (`serve` refuses the
# defaults), in this process and in the servers it starts, and never read instance/local.yaml.
for _name, _value in {"CLUEDESK_LOCAL_CONFIG": "",
                      "CLUEDESK_SERVER_SECRET_KEY": "cluedesk-benchmark-session-secret",
                      "CLUEDESK_AUDIT_KEY": "cluedesk-benchmark-audit-key"}.items():
    os.environ.setdefault(_name, _value)
