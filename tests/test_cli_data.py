"""`fusion-bench data list|verify|download` on the shared copies and on broken ones: exact output lines,
`--json`, one `error:` line and a non-zero exit without a traceback."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fusion_bench.cli.main import main

pytestmark = pytest.mark.realdata  # the shared copies (FUSION_BENCH_DATA)


@pytest.mark.parametrize("name,pairs", [("MEFB", 100), ("Lytro", 20), ("SICE", 5), ("MFIFB", 78)])
def test_verify_shared_copies(data_root: Path, name: str, pairs: int, capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "verify", name, "--root", str(data_root / name)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"{name}: {pairs} pairs OK\n" + _parts(name, data_root / name) and captured.err == ""


@pytest.mark.parametrize("name,pairs", [("MEFB", 100), ("Lytro", 20), ("SICE", 5), ("MFIFB", 78)])
def test_verify_with_the_data_folder_as_root(data_root: Path, name: str, pairs: int,
                                             capsys: pytest.CaptureFixture) -> None:
    """`--root ../shared/data` (the folder holding MEFB/, Lytro/, ...) finds the dataset's sub-folder."""
    assert main(["data", "verify", name, "--root", str(data_root)]) == 0
    assert capsys.readouterr().out == f"{name}: {pairs} pairs OK\n" + _parts(name, data_root / name)


def _parts(name: str, root: Path) -> str:
    """The lines on the optional parts present: MEFB's published fused images, 107 of 2,100 in the shared copy."""
    return f"  published-fused: 107 of 2100 files present in {root}, 107 verified\n" if name == "MEFB" else ""


def test_verify_json_and_default_root(local_data: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "verify", "MFFW", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["pairs"] == 13 and report["root"] == str(local_data / "MFIFB")
    assert report["checksummed_files"] == 13 * 2 + 13 * 30  # pairs + published fused images


def test_list_json_and_table(local_data: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["data", "list", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["MEFB"]["present"] and rows["MEFB"]["root"] == str(local_data / "MEFB")
    assert rows["MEFB"]["upstream"] == "xingchenzhang/MEFB@9e185bf88de280b12a2d9a2ff12d66e40bc1ff91"
    assert not rows["RealMFF"]["present"] and rows["RealMFF"]["checksummed_files"] == 0
    assert (rows["MFIFB"]["pairs"], rows["Lytro"]["task"], rows["SICE"]["task"]) == (78, "mff", "mef")
    assert [(p["name"], p["files"]) for p in rows["MEFB"]["parts"]] == [("published-fused", 2100)]
    assert rows["MEFB"]["parts"][0]["upstream"] == "xingchenzhang/MEFB@92688fcb293f41b6ab85dbff27e493d1c7a11cde"
    assert main(["data", "list"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["dataset", "task", "pairs", "present", "where"] and len(table) == 1 + len(rows)


def test_verify_reports_a_broken_copy(data_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    copy = tmp_path / "Lytro"
    shutil.copytree(data_root / "Lytro", copy)
    (copy / "A" / "lytro_05.jpg").write_bytes((copy / "A" / "lytro_05.jpg").read_bytes()[:2000])
    assert main(["data", "verify", "Lytro", "--root", str(copy)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith(f"error: Lytro: 2 problem(s) in {copy} (20 complete pairs found)")
    assert any("lytro_05.jpg: size 2000 bytes" in line for line in err)
    assert any("lytro_05.jpg: unreadable or truncated" in line for line in err)
    (copy / "B" / "lytro_07.jpg").unlink()
    assert main(["data", "verify", "Lytro", "--root", str(copy), "--json"]) == 1
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert not report["ok"] and "no partner named lytro_07.* in" in report["problems"][0]
    assert captured.err.count("error:") == 1


def test_errors_are_one_line_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    (tmp_path / "A").mkdir()
    (tmp_path / "B").mkdir()
    in_process = [
        (["data", "verify", "folder", "--root", str(tmp_path)], 1, f"error: folder: 1 problem(s) in {tmp_path}"),
        (["data", "download", "NoSuchSet"], 1, "error: unknown dataset"),
        (["data", "verify"], 2, "error: "),
    ]
    for argv, code, start in in_process:
        assert main(argv) == code, argv
        captured = capsys.readouterr()
        assert captured.err.startswith(start) and captured.err.count("\n") == 1 and captured.out == "", argv
    # the installed entry point, as a user runs it
    result = subprocess.run([sys.executable, "-m", "fusion_bench.cli.main", "data", "verify", "NoSuchSet"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("error: unknown dataset 'NoSuchSet'") and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
