"""triggerwatch: event-driven sales trigger monitor.

The import package ``triggerwatch`` maps onto this ``services/`` folder: one subpackage per
service (collectors, worker, notifier, web) plus the shared ``core``.
"""

__version__ = "0.1.0"
