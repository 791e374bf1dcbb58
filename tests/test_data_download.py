"""download_cifar10 against a local HTTP server: resume, MD5, retries, safe extraction."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cifar_fixture import FOLDER, TRAIN_ROWS, cifar_files, make_archive, md5
from resnet_edu.data import DataCorrupt, DataUnavailable, download_cifar10, load_cifar10
from resnet_edu.data.download import extract_cifar10

GOOD = make_archive()
FAST = dict(progress=False, timeout=2, backoff=0.01)  # tests must not sleep for seconds


@dataclass
class Behaviour:
    """What the test server does; `requests` records each request's Range header."""

    bodies: list[bytes]  # body for request i (the last one repeats)
    drop_after: int | None = None  # first request: close the connection after this many bytes
    honour_range: bool = True  # False: ignore Range and answer 200 with everything
    status: int = 200
    requests: list[str | None] = field(default_factory=list)


def _handler(behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            i = len(behaviour.requests)
            behaviour.requests.append(self.headers.get("Range"))
            if behaviour.status != 200:
                self.send_error(behaviour.status)
                return
            body = behaviour.bodies[min(i, len(behaviour.bodies) - 1)]
            start = 0
            range_header = self.headers.get("Range")
            if range_header and behaviour.honour_range:
                start = int(range_header.removeprefix("bytes=").rstrip("-"))
                if start >= len(body):
                    self.send_error(416)
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            else:
                self.send_response(200)
            payload = body[start:]
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if i == 0 and behaviour.drop_after is not None:
                self.wfile.write(payload[:behaviour.drop_after])
                self.close_connection = True  # the client sees a short body
                return
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass  # keep pytest's output clean

    return Handler


def _servers(make_handler) -> Iterator:
    """Yields start(script) -> the archive's URL on a 127.0.0.1 server of make_handler(script); stops them after."""
    servers = []

    def start(script) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(script))
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/cifar-10-python.tar.gz"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def serve() -> Iterator:
    yield from _servers(_handler)


def _only_expected_entries(data_dir: Path) -> None:
    # No .part, no half-extracted temp folder left behind.
    assert sorted(p.name for p in data_dir.iterdir()) == [FOLDER, "cifar-10-python.tar.gz"]


def test_download_extract_and_read(tmp_path: Path, serve, capfd: pytest.CaptureFixture) -> None:
    behaviour = Behaviour([GOOD])
    url = serve(behaviour)
    seen: list[tuple[int, int | None]] = []
    folder = download_cifar10(tmp_path, url=url, md5=md5(GOOD), on_progress=lambda d, t: seen.append((d, t)),
                              **FAST)
    assert folder == tmp_path / FOLDER
    assert seen[-1] == (len(GOOD), len(GOOD))
    assert capfd.readouterr().err == ""  # progress=False: no bar
    train, test = load_cifar10(tmp_path)
    assert len(train) == sum(TRAIN_ROWS)
    assert (folder / "readme.html").is_file()
    _only_expected_entries(tmp_path)
    assert behaviour.requests == [None]


def test_progress_bar_shows_bytes(tmp_path: Path, serve, capfd: pytest.CaptureFixture) -> None:
    url = serve(Behaviour([GOOD]))
    download_cifar10(tmp_path, url=url, md5=md5(GOOD), progress=True, timeout=2, backoff=0.01)
    err = capfd.readouterr().err
    assert "CIFAR-10" in err and "B" in err


def test_nothing_fetched_when_folder_is_complete(tmp_path: Path, serve) -> None:
    behaviour = Behaviour([GOOD])
    url = serve(behaviour)
    download_cifar10(tmp_path, url=url, md5=md5(GOOD), **FAST)
    assert download_cifar10(tmp_path, url=url, md5=md5(GOOD), **FAST) == tmp_path / FOLDER
    assert len(behaviour.requests) == 1


def test_archive_with_right_md5_is_not_fetched_again(tmp_path: Path, serve) -> None:
    behaviour = Behaviour([GOOD])
    url = serve(behaviour)
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(GOOD)
    (tmp_path / FOLDER).mkdir()  # an incomplete folder (e.g. a copy that stopped half-way)
    (tmp_path / FOLDER / "data_batch_1").write_bytes(b"partial")
    download_cifar10(tmp_path, url=url, md5=md5(GOOD), **FAST)
    assert behaviour.requests == []
    assert len(load_cifar10(tmp_path)[0]) == sum(TRAIN_ROWS)
    _only_expected_entries(tmp_path)


def test_wrong_md5_is_fetched_again(tmp_path: Path, serve) -> None:
    corrupted = GOOD[:1000] + bytes(len(GOOD) - 1000)
    behaviour = Behaviour([corrupted, GOOD])
    url = serve(behaviour)
    download_cifar10(tmp_path, url=url, md5=md5(GOOD), **FAST)
    assert behaviour.requests == [None, None]  # the bad file was deleted, not resumed
    _only_expected_entries(tmp_path)


def test_always_wrong_md5_gives_a_clear_error(tmp_path: Path, serve) -> None:
    behaviour = Behaviour([GOOD])
    url = serve(behaviour)
    with pytest.raises(DataCorrupt, match="MD5") as info:
        download_cifar10(tmp_path, url=url, md5="0" * 32, retries=2, **FAST)
    assert "--dataset synthetic" in str(info.value)
    assert len(behaviour.requests) == 3  # first try + 2 retries
    assert not (tmp_path / "cifar-10-python.tar.gz.part").exists()
    assert not (tmp_path / FOLDER).exists()


def test_truncated_transfer_resumes_with_range(tmp_path: Path, serve) -> None:
    cut = len(GOOD) // 3
    behaviour = Behaviour([GOOD], drop_after=cut)
    url = serve(behaviour)
    seen: list[int] = []
    download_cifar10(tmp_path, url=url, md5=md5(GOOD), on_progress=lambda d, t: seen.append(d), **FAST)
    assert behaviour.requests == [None, f"bytes={cut}-"]
    assert min(d for d in seen if d > cut) > cut  # the second request started from `cut`, not 0
    assert len(load_cifar10(tmp_path)[0]) == sum(TRAIN_ROWS)
    _only_expected_entries(tmp_path)


def test_server_ignoring_range_restarts_cleanly(tmp_path: Path, serve) -> None:
    cut = len(GOOD) // 2
    behaviour = Behaviour([GOOD], drop_after=cut, honour_range=False)
    url = serve(behaviour)
    download_cifar10(tmp_path, url=url, md5=md5(GOOD), **FAST)
    assert behaviour.requests == [None, f"bytes={cut}-"]  # asked to resume, got a 200: rewrote from 0
    _only_expected_entries(tmp_path)


def test_complete_part_file_is_verified_not_refetched(tmp_path: Path, serve) -> None:
    behaviour = Behaviour([GOOD])
    url = serve(behaviour)
    (tmp_path / "cifar-10-python.tar.gz.part").write_bytes(GOOD)  # crashed just before the rename
    download_cifar10(tmp_path, url=url, md5=md5(GOOD), **FAST)
    assert behaviour.requests == [f"bytes={len(GOOD)}-"]  # answered 416: nothing left to send
    _only_expected_entries(tmp_path)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_server_says_how_to_get_the_data(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/cifar-10-python.tar.gz"
    start = time.perf_counter()
    with pytest.raises(DataUnavailable) as info:
        download_cifar10(tmp_path, url=url, retries=2, **FAST)
    assert time.perf_counter() - start < 5
    message = str(info.value)
    assert "Could not download" in message and url in message
    assert f"python -m resnet_edu download --data-dir {tmp_path}" in message
    assert "--dataset synthetic" in message and "cifar-10-batches-py" in message
    assert not (tmp_path / FOLDER).exists()


def test_not_found_is_not_retried(tmp_path: Path, serve) -> None:
    behaviour = Behaviour([GOOD], status=404)
    url = serve(behaviour)
    with pytest.raises(DataUnavailable, match="404"):
        download_cifar10(tmp_path, url=url, retries=3, **FAST)
    assert len(behaviour.requests) == 1


def _member_files() -> dict[str, bytes]:
    return {f"{FOLDER}/{name}": raw for name, raw in cifar_files()[0].items()}


@pytest.mark.parametrize("members, links", [
    ({**_member_files(), "../evil": b"x"}, None),
    ({**_member_files(), f"{FOLDER}/../../evil": b"x"}, None),
    ({**_member_files(), "/tmp/evil": b"x"}, None),
    ({**_member_files(), "elsewhere/file": b"x"}, None),
    (_member_files(), {f"{FOLDER}/link": "/etc/passwd"}),
], ids=["dotdot", "dotdot-inside", "absolute", "outside-folder", "symlink"])
def test_unsafe_archive_is_refused(tmp_path: Path, members: dict[str, bytes], links: dict | None) -> None:
    archive = tmp_path / "data" / "cifar-10-python.tar.gz"
    archive.parent.mkdir()
    archive.write_bytes(make_archive(members, links))
    with pytest.raises(DataCorrupt, match="unsafe member"):
        extract_cifar10(archive, archive.parent)
    assert sorted(p.name for p in archive.parent.iterdir()) == ["cifar-10-python.tar.gz"]
    assert not (tmp_path / "evil").exists()


def test_evil_archive_served_over_http_is_refused(tmp_path: Path, serve) -> None:
    evil = make_archive({**_member_files(), "../evil": b"x"})
    url = serve(Behaviour([evil]))
    data_dir = tmp_path / "data"
    with pytest.raises(DataCorrupt, match="'../evil'"):
        download_cifar10(data_dir, url=url, md5=md5(evil), **FAST)
    assert not (tmp_path / "evil").exists() and not (data_dir / FOLDER).exists()


def test_archive_missing_a_file_leaves_no_folder(tmp_path: Path) -> None:
    members = _member_files()
    del members[f"{FOLDER}/test_batch"]
    archive = tmp_path / "cifar-10-python.tar.gz"
    archive.write_bytes(make_archive(members))
    with pytest.raises(DataCorrupt, match="test_batch"):
        extract_cifar10(archive, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cifar-10-python.tar.gz"]


def test_not_a_gzip_is_a_clear_error(tmp_path: Path) -> None:
    archive = tmp_path / "cifar-10-python.tar.gz"
    archive.write_bytes(b"<html>captive portal</html>")
    with pytest.raises(DataCorrupt, match="cannot be extracted"):
        extract_cifar10(archive, tmp_path)


# -- the size cap (MAX_BYTES, 200 MiB): a server that sends more is refused, the disk stays bounded ---------
@dataclass
class Flood:
    """A server that sends `flood` bytes of junk, declaring `declared` as Content-Length (None: none,
    so the body ends when the server closes) and streaming on past it. `requests` counts the
    requests as they arrive; `sent`, what each wrote, once the client hung up."""

    flood: int
    declared: int | None = None
    requests: int = 0
    sent: list[int] = field(default_factory=list)


def _flood_handler(flood: Flood) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            flood.requests += 1
            self.send_response(200)
            if flood.declared is not None:
                self.send_header("Content-Length", str(flood.declared))
            self.end_headers()
            sent, block = 0, bytes(64 << 10)
            try:
                while sent < flood.flood:  # bounded, so a client that never stops cannot hang the test
                    self.wfile.write(block)
                    sent += len(block)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client hung up: what the cap is for
            flood.sent.append(sent)
            self.close_connection = True

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def serve_flood() -> Iterator:
    yield from _servers(_flood_handler)


def _sent(flood: Flood) -> int:
    """The bytes the server wrote to the first request, once its thread has seen the client hang up."""
    deadline = time.time() + 5
    while not flood.sent and time.time() < deadline:
        time.sleep(0.02)
    return flood.sent[0]


def _part_size_watcher(data_dir: Path, sizes: list[int]):
    part = data_dir / "cifar-10-python.tar.gz.part"
    return lambda done, total: sizes.append(part.stat().st_size if part.exists() else 0)


def test_the_cap_fits_the_real_archive() -> None:
    from resnet_edu.data.download import MAX_BYTES
    assert 170_498_071 < MAX_BYTES == 200 << 20  # cifar-10-python.tar.gz's size, with room


def test_a_content_length_over_the_default_cap_is_refused_before_a_byte_is_written(tmp_path: Path,
                                                                                   serve_flood) -> None:
    flood = Flood(flood=4 << 20, declared=(200 << 20) + 1)  # says 200 MiB + 1 byte; the default cap
    url = serve_flood(flood)
    seen: list[int] = []
    with pytest.raises(DataUnavailable) as info:
        download_cifar10(tmp_path, url=url, retries=3, on_progress=lambda d, t: seen.append(d), **FAST)
    first = str(info.value).splitlines()[0]  # the line the app shows
    assert first == (f"Refused the download from {url}: the server offers 209,715,201 bytes, more than the "
                     f"209,715,200 the archive can be; the partial file was deleted.")
    assert seen == [] and list(tmp_path.iterdir()) == []  # nothing written, no .part
    assert flood.requests == 1  # refused, not retried


def test_a_stream_with_no_length_is_cut_at_the_cap_and_its_part_deleted(tmp_path: Path, serve_flood) -> None:
    cap = 3 << 20  # 3 MiB stands for the 200 MiB cap
    flood = Flood(flood=64 << 20)  # no Content-Length: it would send 64 MiB, the server's own limit
    url = serve_flood(flood)
    sizes: list[int] = []
    start = time.perf_counter()
    with pytest.raises(DataUnavailable) as info:
        download_cifar10(tmp_path, url=url, max_bytes=cap, retries=3,
                         on_progress=_part_size_watcher(tmp_path, sizes), **FAST)
    assert time.perf_counter() - start < 10
    first = str(info.value).splitlines()[0]
    assert first == (f"Refused the download from {url}: the server sent more than the 3,145,728 bytes "
                     f"the archive can be; the partial file was deleted.")
    assert sizes and max(sizes) == cap  # the disk held at most the cap, whole chunks up to it
    assert list(tmp_path.iterdir()) == []  # decided: a refused answer leaves no .part to resume from
    assert flood.requests == 1 and _sent(flood) < 64 << 20  # not retried, and the client hung up


def test_a_content_length_that_lies_low_is_read_only_that_far(tmp_path: Path, serve_flood) -> None:
    """A server declaring 1 MiB and streaming on: only 1 MiB reaches the disk; it fails the MD5."""
    flood = Flood(flood=32 << 20, declared=1 << 20)
    url = serve_flood(flood)
    sizes: list[int] = []
    with pytest.raises(DataCorrupt, match="MD5"):
        download_cifar10(tmp_path, url=url, md5=md5(GOOD), max_bytes=3 << 20, retries=1,
                         on_progress=_part_size_watcher(tmp_path, sizes), **FAST)
    assert max(sizes) == 1 << 20
    assert list(tmp_path.iterdir()) == []  # the failed .part is deleted (test_always_wrong_md5 ...)
