"""Run a console script as if the disk filled up: `python disk_full.py BYTES
DIR SCRIPT ARGS...` runs `SCRIPT ARGS...` (rag or ask, from the venv) in
this process, with every file opened for writing under DIR failing with
ENOSPC once BYTES in all have been written there. Writes by C code (FAISS)
are not counted; the Python writes of an index version come first.

No tmpfs: mounting one needs privileges a CI runner does not give."""

import builtins
import errno
import io
import os
import runpy
import sys
from pathlib import Path

_open = builtins.open
left, under = 0, ""  # bytes that still fit; the folder whose writes count (set in main)


class Full(io.RawIOBase):
    """A file that takes writes until the shared budget is spent."""

    def __init__(self, raw):
        self.raw = raw

    def writable(self):
        return True

    def fileno(self):
        return self.raw.fileno()

    def write(self, b):
        global left
        b = bytes(b)
        if len(b) > left:  # what fits is written, then the error, as a full disk does
            self.raw.write(b[:left])
            left = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.raw.write(b)
        left -= len(b)
        return len(b)

    def close(self):
        self.raw.close()
        super().close()


def full_open(file, mode="r", *args, **kwargs):
    if isinstance(file, int) or not set(mode) & set("wax+"):
        return _open(file, mode, *args, **kwargs)
    if not os.path.realpath(os.fspath(file)).startswith(under + os.sep):
        return _open(file, mode, *args, **kwargs)
    raw = Full(_open(file, mode.replace("t", "") + ("b" if "b" not in mode else ""), buffering=0))
    if "b" in mode:  # unbuffered, and not an io.BufferedWriter, so numpy writes through write()
        return raw
    return io.TextIOWrapper(io.BufferedWriter(raw), encoding=kwargs.get("encoding") or "utf-8",
                            newline=kwargs.get("newline"))


def main() -> None:
    global left, under
    left, under = int(sys.argv[1]), os.path.realpath(sys.argv[2])
    script = str(Path(sys.executable).parent / sys.argv[3])
    builtins.open = io.open = full_open
    sys.argv = [script, *sys.argv[4:]]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
