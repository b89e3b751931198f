"""The first hour: ``triggerwatch init`` (register, customers, scores, sources: one guided path),
and what ``demo`` / ``up`` tell a newcomer (where the UI is and how to log in; which recordings a
demo replays)."""
