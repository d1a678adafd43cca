"""Master files: zip with one member, cp949 fixed-width records of 288/282 bytes, pipe-separated F/O master."""

from __future__ import annotations

import io
import zipfile

import pytest

from kis_platform.simulator.kis.master import KOSDAQ_WIDTHS, KOSPI_WIDTHS
from kis_platform_tests.simulator.conftest import SAMPLES


def member(kis, name: str) -> bytes:
    r = kis.http.get(f"/common/master/{name}")
    assert r.status_code == 200
    z = zipfile.ZipFile(io.BytesIO(r.content))
    assert z.namelist() == [name.removesuffix(".zip")]
    return z.read(z.namelist()[0])


def test_widths_sum_to_the_official_tails():
    assert sum(KOSPI_WIDTHS) == 227 and len(KOSPI_WIDTHS) == 70
    assert sum(KOSDAQ_WIDTHS) == 221 and len(KOSDAQ_WIDTHS) == 64


@pytest.mark.parametrize("name,width,sample", [("kospi_code.mst.zip", 288, "master_kospi_code.mst.lines.cp949.mst"),
                                               ("kosdaq_code.mst.zip", 282, "master_kosdaq_code.mst.lines.cp949.mst")])
def test_stock_master_records(kis, name, width, sample):
    lines = member(kis, name).split(b"\n")[:-1]
    assert len(lines) > 800
    assert {len(line) for line in lines} == {width}
    real = (SAMPLES / sample).read_bytes().split(b"\n")[0]
    assert len(real) == width and real[61:63] == lines[0][61:63] == b"ST"
    codes = {line[:9].decode().strip(): line for line in lines}
    if name.startswith("kospi"):
        rec = codes["005930"]
        assert rec[9:21] == b"KR7005930003" and rec[21:61].decode("cp949").strip() == "삼성전자"
    assert all(line[21:61].decode("cp949") for line in lines)


def test_fo_master(kis):
    lines = member(kis, "fo_idx_code_mts.mst.zip").decode("cp949").splitlines()
    fields = [line.split("|") for line in lines]
    assert {len(f) for f in fields} == {9}
    assert ["1", "A01612"] == fields[0][:2] and fields[0][3] == "F 202612" and fields[0][-1] == "KOSPI200"
    assert any(f[0] == "5" for f in fields) and any(f[0] == "6" for f in fields)
