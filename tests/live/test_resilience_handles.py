from __future__ import annotations

from voicecli.live.handles import HandleStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_keeps_only_resumable_handles_and_the_newest() -> None:
    clock = FakeClock()
    store = HandleStore(clock)
    assert store.handle is None
    assert store.age_s() is None
    assert store.update("h1", True)
    assert not store.update("", False)
    assert not store.update("h-not", False)
    assert not store.update(None, True)
    assert store.handle == "h1"
    clock.now += 4.0
    assert store.update("h2", True)
    assert store.handle == "h2"


def test_age_counts_from_the_stored_update() -> None:
    clock = FakeClock()
    store = HandleStore(clock)
    store.update("h1", True)
    clock.now += 12.5
    store.update("ignored", False)
    assert store.age_s() == 12.5


def test_clear_forgets_the_handle() -> None:
    store = HandleStore(FakeClock())
    store.update("h1", True)
    store.clear()
    assert store.handle is None
    assert store.age_s() is None
