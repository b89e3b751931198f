"""Fixtures every collector test file shares: a local feed server, recorded sleeps, an HTTP client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.collectors.test_http import FeedServer, SleepRecorder


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as s:
        yield s


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    c = httpx.Client(timeout=5.0, trust_env=False)  # no proxy from the environment for 127.0.0.1
    yield c
    c.close()
