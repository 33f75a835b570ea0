"""After ``setup``: are the credentials accepted, and which session does the connection serve (new or resumed)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from voicecli.emulator import protocol as p
from voicecli.emulator.options import Route
from voicecli.emulator.session import Session, SessionState, SessionStore

_UNREGISTERED = (
    "Method doesn't allow unregistered callers (callers without established identity). "
    "Please use API Key or other form of API consumer identity to call this API."
)


@runtime_checkable
class Holder(Protocol):
    """A connection that holds a session; told when a resume was refused because of it."""

    def refused_a_resume(self) -> None: ...


def authorise(route: Route, valid_keys: frozenset[str] | None) -> None:
    """Refuse the credentials as the service does (after setup, as field reports show)."""
    if route.vertex and route.bearer:
        return  # bearer tokens were checked at the upgrade
    if not route.api_key:
        raise p.ProtocolError(p.CLOSE_POLICY, _UNREGISTERED)
    if valid_keys is not None and route.api_key not in valid_keys:
        raise p.ProtocolError(p.CLOSE_INVALID, p.REASON_BAD_KEY)


def open_session(store: SessionStore, config: p.SessionConfig, route: Route) -> tuple[Session, object]:
    """A new session, or the one ``config.handle`` names; and the brain state to give its new brain.

    The brain state is None for a new session; for a resumed one it is the snapshot's (a handle that
    names a moment) or the live brain's.
    """
    if not config.handle:
        return store.create(vertex=route.vertex, model_id=config.model_id), None
    found = store.find(config.handle)
    if found is None or found[0].vertex != route.vertex:
        raise p.ProtocolError(p.CLOSE_POLICY, p.REASON_SESSION_NOT_FOUND)
    session, state = found
    if session.connection is not None:
        # The real service refuses a resume while the previous socket is still open.
        if isinstance(session.connection, Holder):
            session.connection.refused_a_resume()
        raise p.ProtocolError(p.CLOSE_INTERNAL, p.REASON_INTERNAL)
    if session.model_id != config.model_id:
        raise p.ProtocolError(p.CLOSE_INVALID, f"{p.REASON_INVALID_ARGUMENT} The model cannot change.")
    brain_state = _brain_state(session, state)
    if state is not None:
        session.restore(state)
    if route.vertex:
        session.session_id = store.create(vertex=True, model_id=config.model_id).session_id
    return session, brain_state


def _brain_state(session: Session, state: SessionState | None) -> object:
    if state is not None:
        return state.brain_state
    return session.brain.state() if session.brain is not None else None
