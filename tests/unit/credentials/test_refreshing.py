"""RefreshingCredentials: lazy loading, the advisory and mandatory windows, one refresh in flight."""

from __future__ import annotations

import datetime
import logging
import pickle
import threading
from dataclasses import dataclass

import pytest

from storagekit.credentials.aws import RoleOptions, aws_credentials
from storagekit.credentials.refreshing import RefreshingCredentials
from storagekit.types import InvalidCredsError

START = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.timezone.utc)
HOUR = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class Issued:
    generation: int
    expiration: datetime.datetime | None


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime.datetime:
        return self.now


class Source:
    """Hands out generation 1, 2, ... each valid for ``lifetime``; can be held or made to fail."""

    name = "test source"

    def __init__(self, clock: Clock, lifetime: datetime.timedelta | None = HOUR) -> None:
        self.clock, self.lifetime = clock, lifetime
        self.loads = 0
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.fail = False

    def load(self) -> Issued:
        self.loads += 1
        self.entered.set()
        assert self.release.wait(30)
        if self.fail:
            raise InvalidCredsError("the source is down")
        return Issued(self.loads, self.clock.now + self.lifetime if self.lifetime else None)


def make(lifetime: datetime.timedelta | None = HOUR) -> tuple[RefreshingCredentials, Source, Clock]:
    clock = Clock()
    source = Source(clock, lifetime)
    return RefreshingCredentials(source, clock=clock), source, clock


def gets_from_threads(credentials: RefreshingCredentials, count: int) -> tuple[list[threading.Thread], list[int]]:
    seen: list[int] = []
    threads = [threading.Thread(target=lambda: seen.append(credentials.get().generation)) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, seen


def test_nothing_is_loaded_before_first_use_and_static_keys_load_once() -> None:
    credentials, source, clock = make(lifetime=None)
    assert source.loads == 0
    clock.now += 1000 * HOUR
    assert [credentials.get().generation for _ in range(100)] == [1] * 100


def test_fresh_credentials_are_not_reloaded() -> None:
    credentials, source, clock = make()
    credentials.get()
    clock.now += datetime.timedelta(minutes=44)  # 16 minutes left: before the advisory window
    assert credentials.get().generation == 1 and source.loads == 1


def test_advisory_window_one_thread_refreshes_the_others_go_on() -> None:
    credentials, source, clock = make()
    credentials.get()
    clock.now += datetime.timedelta(minutes=47)  # 13 minutes left: advisory
    source.entered.clear()
    source.release.clear()
    refresher, refreshed = gets_from_threads(credentials, 1)
    assert source.entered.wait(10)
    others, seen = gets_from_threads(credentials, 7)
    for thread in others:
        thread.join(10)
    assert seen == [1] * 7  # nobody waited for the reload in flight
    source.release.set()
    refresher[0].join(10)
    assert refreshed == [2] and source.loads == 2
    assert credentials.get().generation == 2


def test_mandatory_window_callers_wait_for_the_one_refresh() -> None:
    credentials, source, clock = make()
    credentials.get()
    clock.now += datetime.timedelta(minutes=55)  # 5 minutes left: mandatory
    source.release.clear()
    threads, seen = gets_from_threads(credentials, 8)
    assert source.entered.wait(10)
    assert seen == []  # everybody waits
    source.release.set()
    for thread in threads:
        thread.join(10)
    assert seen == [2] * 8 and source.loads == 2


def test_a_failed_refresh_while_valid_is_logged_and_retried(caplog: pytest.LogCaptureFixture) -> None:
    credentials, source, clock = make()
    credentials.get()
    clock.now += datetime.timedelta(minutes=55)
    source.fail = True
    with caplog.at_level(logging.WARNING, logger="storagekit.credentials"):
        assert credentials.get().generation == 1
    assert "still valid" in caplog.text and "the source is down" in caplog.text
    assert credentials.get().generation == 1 and source.loads == 3  # tried again on the next use
    source.fail = False
    assert credentials.get().generation == 4


def test_a_failed_refresh_after_expiry_is_raised() -> None:
    credentials, source, clock = make()
    credentials.get()
    clock.now += HOUR
    source.fail = True
    with pytest.raises(InvalidCredsError, match="down"):
        credentials.get()


def test_windows_shrink_with_short_lived_credentials() -> None:
    credentials, _source, clock = make(lifetime=datetime.timedelta(seconds=8))
    credentials.get()
    clock.now += datetime.timedelta(seconds=3.9)  # before half the lifetime: fresh
    assert credentials.get().generation == 1
    clock.now += datetime.timedelta(seconds=0.2)
    assert credentials.get().generation == 2


def test_pickles_to_its_provider_alone() -> None:
    static = aws_credentials("AKIDEXAMPLE", "wJalrXUtnFEMI")
    static.get()
    copy = pickle.loads(pickle.dumps(static))
    assert copy._current is None and copy.get().access_key == "AKIDEXAMPLE"
    role = aws_credentials("AKIDEXAMPLE", "wJalrXUtnFEMI", region="eu-west-1",
                           role=RoleOptions("arn:aws:iam::123456789012:role/x", external_id="e"))
    assert pickle.loads(pickle.dumps(role)).provider == role.provider
    chain = pickle.loads(pickle.dumps(aws_credentials(profile="work", region="eu-west-1")))
    assert [type(provider).__name__ for provider in chain.provider.providers] == [
        "WebIdentityProvider", "ProfileProvider", "ContainerProvider", "InstanceMetadataProvider"]
