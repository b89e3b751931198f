"""The relay service: the transactional outbox → Kafka (``relay.py``), wired by ``service.py``."""
