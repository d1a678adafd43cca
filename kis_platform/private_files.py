"""Files and directories only their owner may read: role passwords, the token lease, the limiter's state, backups;
and the one way to replace a file atomically (`replace_file`: tokens, the day's cached lists and calendar).

A secret written with `Path.write_text` and then `chmod`ed is readable by everyone for the moment in between
(the umask usually grants 0644), so secret files are created with mode 0600 from their first byte.
"""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> Path:
    """`path` as a directory only its owner can list or enter (0700), created if missing.

    An existing directory owned by this user is tightened: an older version created its state directories 0755.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    st = path.stat()
    if st.st_mode & 0o077 and st.st_uid == os.geteuid():
        path.chmod(0o700)
    return path


def write_private(path: Path, text: str) -> bool:
    """Create `path` with mode 0600 and write `text`; returns False, writing nothing, when it already exists."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return True


def replace_file(path: Path, text: str, mode: int = 0o600) -> None:
    """Replace `path` with `text` atomically: a concurrent reader gets the old file or the whole new one, never a
    part. The file has `mode` from its first byte (owner-only unless said otherwise); its folder is created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)
