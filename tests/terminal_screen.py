"""What a terminal shows of a command's stderr: the command runs on a pseudo-terminal (so tqdm
draws its bars as on a user's screen), and its bytes are played on a minimal screen model that
knows what tqdm writes: text, carriage return, newline, cursor up (``ESC[nA``) and erase to the
end of the line (``ESC[K``); other escapes are ignored."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import termios


def screen_of(cmd: list[str], env: dict[str, str], cols: int = 150, timeout: float = 300) -> tuple[int, list[str]]:
    """Run ``cmd`` with stderr on a pseudo-terminal ``cols`` wide; (exit code, the screen's lines).

    stdout goes to /dev/null. Raises subprocess.TimeoutExpired past ``timeout`` seconds.
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, cols, 0, 0))
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    data = b""
    try:
        while chunk := _read(master):
            data += chunk
    finally:
        os.close(master)
    code = proc.wait(timeout=timeout)
    lines: list[list[str]] = [[]]
    row = col = 0
    for tok in re.findall(rb"\x1b\[\d*[A-Za-z]|\r|\n|[^\x1b\r\n]+", data):
        if tok == b"\r":
            col = 0
        elif tok == b"\n":
            row, col = row + 1, 0
        elif tok.startswith(b"\x1b["):
            if tok.endswith(b"A"):
                row = max(0, row - int(tok[2:-1] or 1))
            elif tok.endswith(b"K"):
                del lines[row][col:]
        else:
            text = tok.decode(errors="replace")
            lines[row][col : col + len(text)] = list(text)
            col += len(text)
        while len(lines) <= row:
            lines.append([])
    return code, ["".join(line).rstrip() for line in lines]


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # EIO: every writer of the terminal has gone
        return b""
