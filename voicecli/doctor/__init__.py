"""``voicecli doctor``: what stands between a new user and a working ``talk``, one check per line.

``check`` defines a check's result (name, ok/warn/fail, detail, fix); ``runner`` runs the groups in
order and passes facts between them (the credentials found, whether the data directory works). One
module per group: ``install`` (Python and packages), ``sound`` (PortAudio, the sound server, devices,
microphone level, speaker), ``extras`` (espeak-ng, offline speech recognition), ``storage`` (the data
directory), ``account`` (credentials and endpoints), ``model`` (persona and capability table) and
``service`` (a real connect + setup handshake). Nothing here renders or exits: that is ``cli`` and ``ui``.
"""

from voicecli.doctor.check import EXIT_PROBLEMS, Check, Status, exit_code
from voicecli.doctor.runner import DoctorOptions, run_doctor

__all__ = ["EXIT_PROBLEMS", "Check", "DoctorOptions", "Status", "exit_code", "run_doctor"]
