"""The standalone emulator's garbage policy: dead connections' cycles freed soon after they close, in one
collection for many closes; start-up objects frozen; an embedded emulator leaves the collector alone."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from voicecli.emulator import Emulator
from voicecli.emulator.heap import GarbagePolicy


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def _cycle() -> weakref.ref[_Node]:
    """A two-object reference cycle that only a collection frees; a weak reference to watch it."""
    first, second = _Node(), _Node()
    first.other, second.other = second, first
    return weakref.ref(first)


@contextlib.contextmanager
def _no_automatic_collection() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@contextlib.contextmanager
def _full_collections() -> Iterator[list[int]]:
    """Counts full (generation 2) collections while inside."""
    counted: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] == 2:
            counted.append(1)

    gc.callbacks.append(count)
    try:
        yield counted
    finally:
        gc.callbacks.remove(count)


async def test_a_close_frees_cycles_soon_after() -> None:
    policy = GarbagePolicy(enabled=True, delay_s=0.01, min_interval_s=0.0)
    with _no_automatic_collection():
        watched = _cycle()
        assert watched() is not None  # reference counting alone does not free a cycle
        policy.connection_closed()
        await asyncio.sleep(0.1)
        assert watched() is None
    assert policy.collections == 1


async def test_many_closes_share_one_collection() -> None:
    policy = GarbagePolicy(enabled=True, delay_s=0.02, min_interval_s=0.0)
    with _no_automatic_collection(), _full_collections() as counted:
        for _ in range(50):
            policy.connection_closed()
        await asyncio.sleep(0.15)
    assert len(counted) == 1
    assert policy.collections == 1


async def test_collections_keep_their_minimum_interval() -> None:
    policy = GarbagePolicy(enabled=True, delay_s=0.01, min_interval_s=0.3)
    with _no_automatic_collection():
        policy.connection_closed()
        await asyncio.sleep(0.05)
        assert policy.collections == 1
        policy.connection_closed()  # right after one: waits out the interval
        await asyncio.sleep(0.1)
        assert policy.collections == 1
        await asyncio.sleep(0.3)
        assert policy.collections == 2


async def test_a_disabled_policy_leaves_the_collector_alone() -> None:
    policy = GarbagePolicy(enabled=False, delay_s=0.01, min_interval_s=0.0)
    with _no_automatic_collection():
        watched = _cycle()
        policy.connection_closed()
        policy.settle()
        await asyncio.sleep(0.05)
        assert watched() is not None
        assert gc.get_freeze_count() == 0
    assert policy.collections == 0
    gc.collect()
    assert watched() is None


def test_settle_freezes_what_start_up_left() -> None:
    policy = GarbagePolicy(enabled=True)
    try:
        policy.settle()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # the test process is not the emulator's to keep frozen


@pytest.mark.parametrize("own_process", [True, False])
async def test_the_emulator_collects_after_closes_only_in_its_own_process(tmp_path: Path,
                                                                          own_process: bool) -> None:
    from websockets.asyncio.client import connect

    try:
        async with Emulator(ca_dir=tmp_path / "ca", speed=0, recognition=False, tls=False,
                            own_process=own_process) as emu:
            assert (gc.get_freeze_count() > 0) is own_process
            emu._heap._delay_s = 0.01  # the policy's own timing is tested above
            path = "/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent"
            async with connect(f"{emu.ws_url}{path}", additional_headers={"x-goog-api-key": "k"}) as ws:
                await ws.send('{"setup": {"model": "models/gemini-3.8-live"}}')
                await ws.recv()
            for _ in range(100):
                if emu._heap.collections:
                    break
                await asyncio.sleep(0.01)
            assert emu._heap.collections == (1 if own_process else 0)
    finally:
        gc.unfreeze()
