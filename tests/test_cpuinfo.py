"""The processor's name and flags: one reader of /proc/cpuinfo, bounded, and quiet where it cannot read."""

import sys

import pytest

from resnet_edu.training import cpuinfo, fastpath


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/cpuinfo is read on Linux only")
def test_the_first_processors_fields_are_read(monkeypatch, tmp_path):
    fake = tmp_path / "cpuinfo"
    fake.write_text("processor\t: 0\nmodel name\t: Example CPU 9000\nflags\t\t: fpu sse2 avx2 avx512_bf16\n\n"
                    "processor\t: 1\nmodel name\t: Another\nflags\t\t: fpu\n")
    monkeypatch.setattr(cpuinfo, "CPUINFO", str(fake))
    cpuinfo._first_processor.cache_clear()
    try:
        assert cpuinfo.model_name() == "Example CPU 9000"
        assert cpuinfo.flags() == {"fpu", "sse2", "avx2", "avx512_bf16"}
        assert fastpath.cpu_has_bf16_units() and not fastpath.cpu_has_amx()
    finally:
        cpuinfo._first_processor.cache_clear()


def test_an_unreadable_file_gives_no_flags_and_a_name(monkeypatch, tmp_path):
    monkeypatch.setattr(cpuinfo, "CPUINFO", str(tmp_path / "missing"))
    cpuinfo._first_processor.cache_clear()
    try:
        assert cpuinfo.flags() == frozenset()
        assert cpuinfo.model_name()  # platform's name, or "unknown"
    finally:
        cpuinfo._first_processor.cache_clear()
