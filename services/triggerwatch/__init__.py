"""triggerwatch: event-driven sales trigger monitor.

The import package lives in ``services/triggerwatch/``: one subpackage per service (collectors,
relay, worker, notifier, web), the domain engines (text, registry, procurement, scoring) and the
shared kernel ``core``.
"""

__version__ = "0.1.0"
