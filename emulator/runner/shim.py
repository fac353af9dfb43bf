"""The first process of every replica: it ties the replica's process group to the emulator's life.

Run as ``python -I -S shim.py PARENT_PID -- COMMAND...`` in a new session, so its process group
is the replica's. It asks the kernel for SIGUSR1 when its parent dies (``prctl(PR_SET_PDEATHSIG)``,
so even a SIGKILL of ``serve`` is noticed), starts the command in the same group and waits for it;
when the parent is gone it kills the whole group. It passes on the command's exit: the same status,
or death by the same signal. Only the standard library: the replica's interpreter may not have
the emulator installed. SIGTERM is left to the command (the emulator signals the whole group).
"""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def _kill_group(*_: object) -> None:
    os.killpg(os.getpgrp(), signal.SIGKILL)


def main() -> None:
    parent = int(sys.argv[1])
    command = sys.argv[3:]
    signal.signal(signal.SIGUSR1, _kill_group)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGUSR1)
    if os.getppid() != parent:
        _kill_group()
    child = os.fork()
    if child == 0:
        signal.signal(signal.SIGUSR1, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            os.execvp(command[0], command)
        except OSError as error:
            print(f"vertex-emulator: cannot run {command[0]!r}: {error.strerror}", file=sys.stderr, flush=True)
            os._exit(127)
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    os._exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
