"""FileSessionLock: a running session's shared lock keeps `quantcli kill` off its account."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from quantcli.adapters.storage.session_lock import FileSessionLock


def test_an_account_is_idle_until_a_session_holds_it_and_again_after(tmp_path: Path) -> None:
    locks = FileSessionLock(tmp_path / "sessions")

    with locks.idle("paper") as idle_before:
        assert idle_before
    with locks.session("paper"), locks.session("paper"):  # sessions do not exclude each other
        with locks.idle("paper") as idle_during:
            assert not idle_during
        with locks.idle("other account") as other:
            assert other
    with locks.idle("paper") as idle_after:
        assert idle_after


def test_a_session_killed_without_cleanup_leaves_its_account_idle(tmp_path: Path) -> None:
    folder = tmp_path / "sessions"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from pathlib import Path\n"
            "from quantcli.adapters.storage.session_lock import FileSessionLock\n"
            f"with FileSessionLock(Path({str(folder)!r})).session('paper/1 x'):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        locks = FileSessionLock(folder)
        with locks.idle("paper/1 x") as idle:
            assert not idle
    finally:
        holder.kill()
        holder.wait()
    deadline = time.monotonic() + 5
    while True:
        with locks.idle("paper/1 x") as idle:
            if idle or time.monotonic() > deadline:
                break
        time.sleep(0.05)
    assert idle
