"""A class's predictions for one run (peer instruction: predict, vote, reveal), kept in its folder.

    data/runs/<run_id>/votes.json    {"version": 1, "votes": {"<token>": {"choice": "plain20", "at": 1733312345.6}}}
    data/runs/<run_id>/.votes.lock   held (flock) by the one writer changing votes.json, for milliseconds

One vote per browser session: `token` is a random string the session keeps (the app keeps it in
st.session_state and the page's URL, so a reload keeps it too), and a second vote with the same
token replaces the first. There are no names:
a token says nothing about who voted. `at` is the server's clock when the student chose (Unix s).

Bounded: at most MAX_VOTES votes and MAX_BYTES on disk (500 votes of the longest choice take 58 KiB).
Writers (a server's sessions are threads; two servers are processes) take the lock, read, change,
and replace the file atomically (a temporary file in the run folder, then os.replace), so a reader
sees the old file or the new one, never half of one.

Run folders are copied between machines, so the file is read as untrusted: a symlink, a FIFO or
any other non-regular file, a file over MAX_BYTES, JSON nested deeper than the format (MAX_DEPTH),
not UTF-8, NaN, or any field of the wrong type reads as "no votes" and never raises. The bounded
reading and the atomic write are runs/files.py's, shared with the run store.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from . import files

try:
    import fcntl
except ImportError:  # Windows: no flock; the thread lock below still orders one server's sessions
    fcntl = None

VOTES_FILE = "votes.json"
LOCK_FILE = ".votes.lock"
VERSION = 1
MAX_BYTES = 64 * 1024  # the whole file: about 117 bytes a vote at the longest choice, so 500 fit
MAX_VOTES = 500  # a lecture hall, not a survey
MAX_CHOICE = 48  # characters: a model entry ("resnet56:shortcut=B,design=full_preact" is 38) or "?"
MAX_DEPTH = 3  # {"votes": {token: {"choice", "at"}}}: three levels of objects, nothing deeper
LOCK_WAIT_S = 2.0  # a writer holds the lock for milliseconds; longer means something is wrong
_TOKEN = re.compile(r"[0-9a-f]{32}")


class VoteRefused(ValueError):
    """A vote that was not recorded (a bad token or choice, a full or busy file, an unwritable folder)."""


class VotesFull(VoteRefused):
    """The run already holds MAX_VOTES votes (or MAX_BYTES): a new voter is refused, a changed vote is not."""


class VotesBusy(VoteRefused):
    """Another writer held the lock for longer than LOCK_WAIT_S."""


@dataclass(frozen=True)
class Vote:
    choice: str  # a model entry of the run, or "?" ("I can't tell")
    at: float  # Unix seconds when the student chose


def new_token() -> str:
    """A browser session's voting token: 128 random bits, as 32 hex digits."""
    return secrets.token_hex(16)


def is_token(token) -> bool:
    """Is `token` one `new_token` could have made (e.g. one that came back in a URL)?"""
    return isinstance(token, str) and _TOKEN.fullmatch(token) is not None


def read(run_dir: str | os.PathLike) -> dict[str, Vote]:
    """The run's votes by token; {} when there are none or the file is not a well-formed votes file."""
    try:
        data = files.read_bytes(run_dir, VOTES_FILE, MAX_BYTES)
    except (files.FileProblem, OSError):
        return {}
    return _parse(data)


def cast(run_dir: str | os.PathLike, token: str, choice: str, at: float | None = None,
         wait_s: float = LOCK_WAIT_S) -> dict[str, Vote]:
    """Record `token`'s vote for `choice` (replacing its earlier one); returns all the run's votes.

    Raises VoteRefused (VotesFull, VotesBusy) when it is not recorded; the file is then unchanged.
    Which choices a run offers, and whether voting is still open, the caller decides.
    """
    return cast_many(run_dir, {token: Vote(choice, time.time() if at is None else at)}, wait_s)


def cast_many(run_dir: str | os.PathLike, new: Mapping[str, Vote], wait_s: float = LOCK_WAIT_S) -> dict[str, Vote]:
    """Record several votes in one write (a class's predictions made before the run existed); all or none."""
    for token, vote in new.items():
        problem = _vote_problem(token, {"choice": getattr(vote, "choice", None), "at": getattr(vote, "at", None)})
        if problem:
            raise VoteRefused(problem)
    run_dir = Path(run_dir)
    try:
        with _locked(run_dir, wait_s):
            votes = read(run_dir)  # a broken file counts as none, and this write replaces it
            if len(votes.keys() | new.keys()) > MAX_VOTES:
                raise VotesFull(f"this run already holds {MAX_VOTES} votes")
            votes = {**votes, **{token: Vote(v.choice, float(v.at)) for token, v in new.items()}}
            data = _serialise(votes)
            if len(data) > MAX_BYTES:
                raise VotesFull(f"the votes file would exceed {MAX_BYTES // 1024} KiB")
            files.replace(run_dir, VOTES_FILE, data)
    except OSError as err:  # the run was deleted, its folder is read-only, a planted .votes.lock symlink ...
        raise VoteRefused(f"cannot write the votes: {err.strerror or type(err).__name__}") from None
    return votes


def tally(votes: Mapping[str, Vote], choices: Sequence[str]) -> dict[str, int]:
    """Votes per choice, in the order of `choices`; a vote for anything else (an edited file) is not counted."""
    counts = dict.fromkeys(choices, 0)
    for vote in votes.values():
        if vote.choice in counts:
            counts[vote.choice] += 1
    return counts


# -- reading untrusted bytes ---------------------------------------------------------------------
def _parse(data: bytes) -> dict[str, Vote]:
    """The votes in a file's bytes, or {} if any part of it is not what `cast` writes."""
    if _depth(data) > MAX_DEPTH:  # checked before json.loads, whose recursion a deep file would exhaust
        return {}
    try:
        doc = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError, JSONDecodeError, NaN, a 5,000-digit number
        return {}
    if not isinstance(doc, dict) or doc.get("version") != VERSION or not isinstance(doc.get("votes"), dict):
        return {}
    raw = doc["votes"]
    if len(raw) > MAX_VOTES or any(_vote_problem(token, entry) for token, entry in raw.items()):
        return {}
    return {token: Vote(entry["choice"], float(entry["at"])) for token, entry in raw.items()}


def _vote_problem(token, entry) -> str:
    """Why (token, {"choice", "at"}) is not a vote `cast` would write; "" when it is one."""
    if not is_token(token):
        return "a voting token is 32 hex digits"
    if not isinstance(entry, dict) or set(entry) != {"choice", "at"}:
        return "a vote is {choice, at}"
    choice, at = entry["choice"], entry["at"]
    if not isinstance(choice, str) or not 0 < len(choice) <= MAX_CHOICE or not choice.isprintable():
        return f"a choice is 1 to {MAX_CHOICE} printable characters"
    if isinstance(at, bool) or not isinstance(at, (int, float)) or not _finite(at):
        return "a vote's time is a finite number"
    return ""


def _finite(x: int | float) -> bool:
    try:
        return math.isfinite(x)
    except OverflowError:  # an int beyond any float (10**400)
        return False


def _depth(data: bytes) -> int:
    """How deep the JSON in `data` nests (files.json_depth, counting stops past MAX_DEPTH)."""
    return files.json_depth(data, MAX_DEPTH)


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number a vote holds")


# -- writing ---------------------------------------------------------------------------------
_THREADS = threading.Lock()  # one writer at a time within a server (also where flock is missing)


@contextlib.contextmanager
def _locked(run_dir: Path, wait_s: float) -> Iterator[None]:
    """Hold the run's votes lock: this process's thread lock, then an flock on .votes.lock.

    Not the run's own .lock: the trainer holds that for the whole run. flock is released by the
    kernel when its holder dies, so a killed writer leaves no stale lock behind.
    """
    deadline = time.monotonic() + wait_s
    if not _THREADS.acquire(timeout=wait_s):
        raise VotesBusy("another vote is being written; try again")
    try:
        if fcntl is None:
            yield
            return
        fd = os.open(run_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
                     | getattr(os, "O_CLOEXEC", 0), 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise VotesBusy("another vote is being written; try again") from None
                    time.sleep(0.005)
            yield
        finally:
            os.close(fd)  # closing releases the flock
    finally:
        _THREADS.release()


def _serialise(votes: Mapping[str, Vote]) -> bytes:
    doc = {"version": VERSION, "votes": {token: {"choice": v.choice, "at": round(v.at, 3)} for token, v in votes.items()}}
    return json.dumps(doc, separators=(",", ":"), allow_nan=False).encode("utf-8")
