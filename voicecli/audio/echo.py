"""A half-duplex echo guard: while the agent is audible, mic frames pass only if the user is clearly louder.

Without an echo canceller, speakers leak the agent's voice into the mic and it interrupts itself. The
guard learns how much quieter the echo is in the mic than the playback (the echo return loss) from the
frames it holds back, and admits a frame only when it is ``margin_db`` above the echo it predicts.
A barge-in opens the gate for ``hold_frames`` so the user's words are not chopped; after playback
stops the gate stays up for ``tail_frames`` while the room's reverberation dies out.
"""

from __future__ import annotations

from voicecli.audio.levels import dbfs


class EchoGuard:
    def __init__(
        self,
        *,
        margin_db: float = 10.0,
        initial_echo_loss_db: float = 0.0,
        hold_frames: int = 15,
        tail_frames: int = 8,
        max_echo_loss_db: float = 40.0,
        loss_rise: float = 0.02,
        loss_fall: float = 0.3,
    ) -> None:
        self.margin_db = margin_db
        self.echo_loss_db = initial_echo_loss_db
        self.hold_frames = hold_frames
        self.tail_frames = tail_frames
        self.max_echo_loss_db = max_echo_loss_db
        self._loss_rise = loss_rise
        self._loss_fall = loss_fall
        self._open_for = 0
        self._since_audible = tail_frames
        self.held = 0
        """Frames held back so far."""

    def admit(self, frame: bytes, *, playback_audible: bool, playback_level_dbfs: float) -> bool:
        mic_db = dbfs(frame)
        if playback_audible:
            self._since_audible = 0
        else:
            self._since_audible += 1
            if self._since_audible > self.tail_frames:
                self._open_for = 0
                return True
        if self._open_for > 0:
            self._open_for -= 1
            return True
        expected_echo_db = playback_level_dbfs - self.echo_loss_db
        if mic_db > expected_echo_db + self.margin_db:
            self._open_for = self.hold_frames
            return True
        if playback_audible:
            self._learn_loss(playback_level_dbfs - mic_db)
        self.held += 1
        return False

    def _learn_loss(self, observed_db: float) -> None:
        # Err towards a loud echo: pauses in the agent's speech make the loss look large, so larger
        # values are followed slowly and smaller ones (a louder echo) quickly. Mistakes then cost a
        # missed barge-in, never the agent interrupting itself.
        rate = self._loss_rise if observed_db > self.echo_loss_db else self._loss_fall
        learned = self.echo_loss_db + rate * (observed_db - self.echo_loss_db)
        self.echo_loss_db = min(self.max_echo_loss_db, learned)
