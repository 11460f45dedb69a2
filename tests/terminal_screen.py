"""What a terminal shows of a command's stderr: the command runs on a pseudo-terminal (so tqdm
draws its bars as on a user's screen), and its bytes are played on pyte's VT100 screen."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import termios

import pyte

ROWS = 1000  # tall enough that no line of a test's command scrolls off the screen


def screen_of(cmd: list[str], env: dict[str, str], cols: int = 150, timeout: float = 300) -> tuple[int, list[str]]:
    """Run ``cmd`` with stderr on a pseudo-terminal ``cols`` wide; (exit code, the screen's lines).

    stdout goes to /dev/null. The lines are the screen's rows up to its last non-blank one, each
    without trailing blanks. Raises subprocess.TimeoutExpired past ``timeout`` seconds.
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, cols, 0, 0))
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    screen = pyte.Screen(cols, ROWS)
    screen.set_mode(pyte.modes.LNM)  # a newline also returns the carriage, as the terminal's onlcr does
    stream = pyte.ByteStream(screen)
    try:
        while chunk := _read(master):
            stream.feed(chunk)
    finally:
        os.close(master)
    code = proc.wait(timeout=timeout)
    lines = [line.rstrip() for line in screen.display]
    while lines and not lines[-1]:
        lines.pop()
    return code, lines


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: every writer of the terminal has gone
        return b""
