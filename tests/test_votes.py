"""The class vote's file (resnet_edu/runs/votes.py): one vote per token, bounded, atomic, and safe to read.

A run folder may come from another machine, so every hostile file here must read as "no votes",
quickly, without an exception; writers in threads and in processes must not lose each other's votes.
"""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from resnet_edu.runs import votes
from resnet_edu.runs.votes import MAX_VOTES, Vote, VoteRefused, VotesBusy, VotesFull

ROOT = Path(__file__).resolve().parents[1]
A, B, C = "a" * 32, "b" * 32, "c" * 32


def write(run: Path, doc) -> None:
    (run / "votes.json").write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")


def valid(n: int = 1, choice: str = "plain20") -> dict:
    return {"version": 1, "votes": {f"{i:032x}": {"choice": choice, "at": 1000.0 + i} for i in range(n)}}


def read_soon(run: Path, seconds: float = 5.0) -> dict:
    """votes.read in a thread: a reader that blocked (on a FIFO, say) fails the test instead of hanging it."""
    out = {}
    worker = threading.Thread(target=lambda: out.setdefault("votes", votes.read(run)), daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "votes.read blocked"
    return out["votes"]


# -- what a vote is ----------------------------------------------------------------------------
def test_one_vote_per_token_and_a_changed_vote_replaces_the_old(tmp_path):
    assert votes.read(tmp_path) == {}
    votes.cast(tmp_path, A, "plain20", at=10.0)
    votes.cast(tmp_path, B, "plain56", at=11.0)
    votes.cast(tmp_path, C, "plain56", at=12.0)
    got = votes.cast(tmp_path, C, "plain20", at=13.0)  # C changes its mind
    assert got == votes.read(tmp_path) == {A: Vote("plain20", 10.0), B: Vote("plain56", 11.0), C: Vote("plain20", 13.0)}
    assert votes.tally(got, ["plain20", "plain56", "?"]) == {"plain20": 2, "plain56": 1, "?": 0}
    # What is on disk: the format the module documents, nothing else (no names).
    doc = json.loads((tmp_path / "votes.json").read_text())
    assert doc == {"version": 1, "votes": {A: {"choice": "plain20", "at": 10.0}, B: {"choice": "plain56", "at": 11.0},
                                           C: {"choice": "plain20", "at": 13.0}}}
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []  # no temporary file left


def test_tally_counts_only_the_runs_choices():
    cast = {A: Vote("plain20", 1.0), B: Vote("resnet110", 2.0), C: Vote("?", 3.0)}
    assert votes.tally(cast, ["plain20", "plain56", "?"]) == {"plain20": 1, "plain56": 0, "?": 1}


def test_tokens_are_random_and_well_formed():
    tokens = {votes.new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(votes.is_token(t) for t in tokens)
    assert not any(votes.is_token(t) for t in ("A" * 32, "a" * 33, "../../etc/passwd", "", None, 7, "g" * 32))


@pytest.mark.parametrize("token, choice, at", [
    ("A" * 32, "plain20", 1.0),  # not lower-case hex
    ("a" * 31, "plain20", 1.0),
    (None, "plain20", 1.0),
    (A, "", 1.0),
    (A, "x" * (votes.MAX_CHOICE + 1), 1.0),
    (A, "plain20\n", 1.0),  # a control character
    (A, 20, 1.0),
    (A, "plain20", float("nan")),
    (A, "plain20", float("inf")),
    (A, "plain20", True),
    (A, "plain20", "1.0"),
])
def test_a_bad_vote_is_refused_and_the_file_is_unchanged(tmp_path, token, choice, at):
    votes.cast(tmp_path, B, "plain56", at=1.0)
    before = (tmp_path / "votes.json").read_bytes()
    with pytest.raises(VoteRefused):
        votes.cast(tmp_path, token, choice, at=at)
    assert (tmp_path / "votes.json").read_bytes() == before


# -- bounds ------------------------------------------------------------------------------------
def test_at_most_max_votes_but_a_voter_may_still_change_theirs(tmp_path):
    longest = "x" * votes.MAX_CHOICE
    write(tmp_path, valid(MAX_VOTES, choice=longest))
    assert len(votes.read(tmp_path)) == MAX_VOTES  # 500 votes of the longest choice fit the byte cap
    assert (tmp_path / "votes.json").stat().st_size <= votes.MAX_BYTES
    with pytest.raises(VotesFull):
        votes.cast(tmp_path, A, "plain20")
    first = f"{0:032x}"
    assert votes.cast(tmp_path, first, "plain20", at=5.0)[first] == Vote("plain20", 5.0)
    assert len(votes.read(tmp_path)) == MAX_VOTES


def test_the_byte_cap_holds_for_writers_too(tmp_path, monkeypatch):
    monkeypatch.setattr(votes, "MAX_BYTES", 1000)
    n = 0
    with pytest.raises(VotesFull):
        for n in range(100):
            votes.cast(tmp_path, f"{n:032x}", "resnet56:shortcut=B,design=full_preact")
    assert 0 < len(votes.read(tmp_path)) == n < 100
    assert (tmp_path / "votes.json").stat().st_size <= 1000


# -- hostile files read as "no votes" ------------------------------------------------------------
@pytest.mark.parametrize("doc", [
    "", "null", "[]", '"votes"', "{}", "not json", "{\"version\": 1, \"votes\": {}",  # truncated
    {"version": 2, "votes": {}},  # a future format
    {"version": "1", "votes": {}},
    {"version": 1, "votes": []},
    {"version": 1, "votes": {A: ["plain20", 1.0]}},
    {"version": 1, "votes": {A: {"choice": "plain20"}}},
    {"version": 1, "votes": {A: {"choice": "plain20", "at": 1.0, "name": "Alice"}}},  # no names, no extras
    {"version": 1, "votes": {A: {"choice": 20, "at": 1.0}}},
    {"version": 1, "votes": {A: {"choice": None, "at": 1.0}}},
    {"version": 1, "votes": {A: {"choice": "plain20", "at": "1.0"}}},
    {"version": 1, "votes": {A: {"choice": "plain20", "at": True}}},
    {"version": 1, "votes": {A: {"choice": "plain20", "at": None}}},
    {"version": 1, "votes": {"Alice": {"choice": "plain20", "at": 1.0}}},
    {"version": 1, "votes": {A: {"choice": "x" * 1000, "at": 1.0}}},
    {"version": 1, "votes": {A: {"choice": {"nested": "object"}, "at": 1.0}}},
    '{"version": 1, "votes": {"%s": {"choice": "plain20", "at": NaN}}}' % A,
    '{"version": 1, "votes": {"%s": {"choice": "plain20", "at": -Infinity}}}' % A,
    '{"version": 1, "votes": {"%s": {"choice": "plain20", "at": 1%s}}}' % (A, "0" * 400),  # beyond a float
    '{"version": 1, "votes": {"%s": {"choice": "plain20", "at": 1%s}}}' % (A, "0" * 5000),  # beyond int parsing
    valid(MAX_VOTES + 1, choice="?"),  # too many, though small
    {"version": 1, "votes": {**valid(3)["votes"], A: {"choice": "plain20", "at": "late"}}},  # one bad entry
], ids=lambda d: (d if isinstance(d, str) else json.dumps(d))[:40])
def test_malformed_files_are_no_votes(tmp_path, doc):
    write(tmp_path, doc)
    assert read_soon(tmp_path) == {}


def test_a_broken_file_is_replaced_by_the_next_vote(tmp_path):
    write(tmp_path, "{ broken")
    assert votes.cast(tmp_path, A, "plain20", at=1.0) == {A: Vote("plain20", 1.0)}
    assert votes.read(tmp_path) == {A: Vote("plain20", 1.0)}


def test_bytes_that_are_not_utf8_are_no_votes(tmp_path):
    (tmp_path / "votes.json").write_bytes(b'{"version": 1, "votes": {"\xff\xfe": 1}}')
    assert read_soon(tmp_path) == {}


def test_deep_nesting_is_refused_before_parsing(tmp_path):
    for deep in ("[" * 60_000, "{\"a\":" * 10_000 + "1" + "}" * 10_000,
                 json.dumps({"version": 1, "votes": {A: {"choice": "plain20", "at": 1.0, "x": [[[]]]}}})):
        write(tmp_path, deep)
        assert read_soon(tmp_path) == {}
    # Brackets and escaped quotes inside strings are not nesting: a real vote with them reads back.
    tricky = 'a[{\\"[[\\\\'
    write(tmp_path, '{"version": 1, "votes": {"%s": {"choice": "%s", "at": 2.5}}}' % (A, tricky))
    assert votes.read(tmp_path) == {A: Vote('a[{"[[\\', 2.5)}
    assert votes._depth(b'{"x": "\\\\", "y": [[1]]}') == 3  # an escaped backslash ends its escape


def test_the_depth_scan_is_linear_on_crafted_input(tmp_path):
    # `"` followed by thousands of `\"`: a regex for whole strings backtracks quadratically here.
    write(tmp_path, '"' + '\\"' * 30_000)
    start = time.perf_counter()
    assert read_soon(tmp_path) == {}
    assert time.perf_counter() - start < 1.0


def test_a_huge_file_is_not_read(tmp_path):
    with open(tmp_path / "votes.json", "wb") as f:
        f.truncate(10 * 2**30)  # 10 GiB, sparse: reading it would take the server down
    start = time.perf_counter()
    assert read_soon(tmp_path) == {}
    assert time.perf_counter() - start < 1.0
    # Just over the cap, though valid JSON: refused as a whole.
    write(tmp_path, json.dumps(valid(1)) + " " * votes.MAX_BYTES)
    assert read_soon(tmp_path) == {}


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="needs O_NOFOLLOW")
def test_a_symlink_is_not_followed(tmp_path):
    outside = tmp_path / "elsewhere.json"
    outside.write_text(json.dumps(valid(2)))
    run = tmp_path / "run"
    run.mkdir()
    (run / "votes.json").symlink_to(outside)
    assert read_soon(run) == {}  # not the other file's votes
    (run / "votes.json").unlink()
    (run / "votes.json").symlink_to("/dev/zero")  # an endless file
    assert read_soon(run) == {}
    # A vote replaces the link with a file of its own; the link's target is untouched.
    (run / "votes.json").unlink()
    (run / "votes.json").symlink_to(outside)
    before = outside.read_bytes()
    votes.cast(run, A, "plain20", at=1.0)
    assert outside.read_bytes() == before
    assert not (run / "votes.json").is_symlink() and votes.read(run) == {A: Vote("plain20", 1.0)}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_or_a_folder_is_no_votes_and_does_not_block(tmp_path):
    os.mkfifo(tmp_path / "votes.json")  # opening it for reading would wait for a writer forever
    assert read_soon(tmp_path) == {}
    (tmp_path / "votes.json").unlink()
    (tmp_path / "votes.json").mkdir()
    assert read_soon(tmp_path) == {}
    with pytest.raises(VoteRefused):  # a folder in the way is not replaced: refused with one line
        votes.cast(tmp_path, A, "plain20")


@pytest.mark.skipif(not hasattr(os, "O_NOFOLLOW"), reason="needs O_NOFOLLOW")
def test_planted_lock_and_temporary_links_are_not_written_through(tmp_path):
    outside = tmp_path / "precious"
    outside.write_text("keep me")
    run = tmp_path / "run"
    run.mkdir()
    # The temporary file's name is guessable (pid, thread): a link planted there is removed, not followed.
    (run / f".votes.json.{os.getpid()}.{threading.get_ident()}.tmp").symlink_to(outside)
    votes.cast(run, A, "plain20", at=1.0)
    assert outside.read_text() == "keep me" and votes.read(run) == {A: Vote("plain20", 1.0)}
    # A link planted as the lock file: the vote is refused with one line, the target untouched.
    (run / ".votes.lock").unlink()
    (run / ".votes.lock").symlink_to(outside)
    with pytest.raises(VoteRefused, match="cannot write the votes"):
        votes.cast(run, B, "plain56")
    assert outside.read_text() == "keep me" and votes.read(run) == {A: Vote("plain20", 1.0)}


def test_a_deleted_run_refuses_the_vote_with_one_line(tmp_path):
    with pytest.raises(VoteRefused, match="cannot write the votes"):
        votes.cast(tmp_path / "gone", A, "plain20")
    assert votes.read(tmp_path / "gone") == {}


# -- concurrent writers ------------------------------------------------------------------------
def test_threads_do_not_lose_each_others_votes_and_readers_never_see_half_a_file(tmp_path):
    """A server's sessions are threads: 6 students' sessions casting at once, and the teacher's page reading."""
    seen, stop = [], threading.Event()

    def reader():
        while not stop.is_set():
            seen.append(len(votes.read(tmp_path)))

    def student(k):
        for i in range(20):
            votes.cast(tmp_path, f"{k:016x}{i:016x}", "plain20" if i % 2 else "plain56", wait_s=30)

    watcher = threading.Thread(target=reader)
    watcher.start()
    students = [threading.Thread(target=student, args=(k,)) for k in range(6)]
    for s in students:
        s.start()
    for s in students:
        s.join()
    stop.set()
    watcher.join()
    assert len(votes.read(tmp_path)) == 120
    counts = [n for n in seen]
    assert counts == sorted(counts), "a reader saw fewer votes than before: a half-written or lost file"


def test_processes_do_not_lose_each_others_votes(tmp_path):
    """Two servers (or a server and a script) on one run folder are processes: flock orders them."""
    script = ("import sys; from resnet_edu.runs import votes\n"
              "k = int(sys.argv[2])\n"
              "for i in range(25): votes.cast(sys.argv[1], f'{k:016x}{i:016x}', 'plain20', wait_s=60)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path), str(k)], env=env) for k in range(2)]
    for i in range(25):  # and this process's threads at the same time
        votes.cast(tmp_path, f"{99:016x}{i:016x}", "plain56", wait_s=60)
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    got = votes.read(tmp_path)
    assert len(got) == 75
    assert votes.tally(got, ["plain20", "plain56"]) == {"plain20": 50, "plain56": 25}


@pytest.mark.skipif(votes.fcntl is None, reason="needs flock")
def test_a_writer_that_holds_the_lock_too_long_makes_a_vote_busy_not_a_hang(tmp_path):
    import fcntl

    votes.cast(tmp_path, A, "plain20", at=1.0)
    fd = os.open(tmp_path / ".votes.lock", os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        start = time.perf_counter()
        with pytest.raises(VotesBusy):
            votes.cast(tmp_path, B, "plain56", wait_s=0.2)
        assert time.perf_counter() - start < 2
    finally:
        os.close(fd)
    assert votes.read(tmp_path) == {A: Vote("plain20", 1.0)}
    votes.cast(tmp_path, B, "plain56", at=2.0)  # released: the next vote goes through
    assert len(votes.read(tmp_path)) == 2
