"""``python -m stylerec_plugin.engine stylize|sheet|bench`` as a person runs it. Pure tests (no database)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

pytest.importorskip("torch")

from stylerec_plugin.engine.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PRODUCTS = sorted((ROOT / "demo_shop" / "fixtures" / "products").glob("*.jpg"))
PAINTINGS = sorted((ROOT / "demo_shop" / "fixtures" / "styles").glob("*.jpg"))
PHOTO = PRODUCTS[0]


def _json_line(capsys) -> dict:
    lines = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return json.loads(lines[0])


def test_stylize_with_a_preset_blend_writes_the_image_and_one_json_line(tmp_path, capsys):
    out = tmp_path / "mug.jpg"
    code = main(["stylize", str(PHOTO), "--style", "preset:3:0.5,12:0.5", "--strength", "0.9", "--size", "128",
                 "--precision", "float32", "-o", str(out)])  # fmt: skip
    line = _json_line(capsys)
    assert code == 0
    assert line["engine"] == "preset" and line["device"] == "cpu" and line["status"] in ("ready", "rejected")
    assert max(line["output_size"]) == 128 and line["input_size"] == list(Image.open(PHOTO).size)
    assert line["strength_used"] <= 0.9 and 0 < line["ssim"] <= 1 and line["ms"] > 0
    assert line["tried"][0][0] == 0.9
    with Image.open(out) as image:
        assert image.size == tuple(line["output_size"])


def test_stylize_with_a_reference_image_and_preserve_colour(tmp_path, capsys):
    out = tmp_path / "out.png"
    code = main(["stylize", str(PHOTO), "--style", str(PAINTINGS[0]), "--preserve-colour", "--size", "96",
                 "--floor", "0", "-o", str(out)])  # fmt: skip
    line = _json_line(capsys)
    assert code == 0 and line["engine"] == "reference" and out.is_file()
    assert line["tried"] == [[1.0, line["ssim"]]]


def test_stylize_tone_and_enhance_engines(tmp_path, capsys):
    assert main(["stylize", str(PHOTO), "--engine", "tone", "--style", str(PAINTINGS[1]), "--size", "96",
                 "-o", str(tmp_path / "tone.jpg")]) == 0  # fmt: skip
    assert _json_line(capsys)["engine"] == "tone"
    assert main(["stylize", str(PHOTO), "--engine", "enhance", "--size", "96", "-o", str(tmp_path / "e.jpg")]) == 0
    assert _json_line(capsys)["engine"] == "enhance"


@pytest.mark.parametrize(
    "argv_tail, message",
    [
        (["--style", "preset:40"], "0 to 25"),
        (["--style", "nowhere.jpg"], "reference image not found"),
        ([], "--style is needed"),
    ],
)
def test_stylize_bad_style_arguments_exit_2_with_a_message(tmp_path, capsys, argv_tail, message):
    code = main(["stylize", str(PHOTO), *argv_tail, "-o", str(tmp_path / "x.jpg")])
    assert code == 2
    assert message in _json_line(capsys)["error"]
    assert not (tmp_path / "x.jpg").exists()


def test_stylize_refuses_a_file_that_is_not_an_image_without_a_traceback(tmp_path):
    fake = tmp_path / "fake.jpg"
    fake.write_text("hello, I am a text file")
    proc = subprocess.run(
        [sys.executable, "-m", "stylerec_plugin.engine", "stylize", str(fake), "--style", "preset:1",
         "-o", str(tmp_path / "out.jpg")],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 2
    line = json.loads(proc.stdout.strip())
    assert line["kind"] == "NotAnImageError" and "not an image" in line["error"]
    assert "Traceback" not in proc.stderr
    assert fake.read_text() == "hello, I am a text file"  # the input is never touched


def test_sheet_renders_every_preset_labelled(tmp_path, capsys):
    out = tmp_path / "sheet.png"
    code = main(["sheet", str(PHOTO), "--size", "96", "--tile", "48", "--columns", "9",
                 "--references", str(PAINTINGS[0]), "-o", str(out)])  # fmt: skip
    line = _json_line(capsys)
    assert code == 0 and line["tiles"] == 1 + 26 + 1
    assert set(line["scores"]) >= {str(i) for i in range(26)}
    with Image.open(out) as sheet:
        tile_w = max(Image.open(PHOTO).size) and 48
        assert sheet.width == 9 * (tile_w + 6) + 6  # nine columns of 48 px tiles
        assert sheet.height > 3 * 48  # 28 tiles -> 4 rows


def test_bench_prints_a_table_from_separate_processes(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "stylerec_plugin.engine", "bench", "--sizes", "64", "--repeats", "1", "--warmup", "0",
         "--engines", "preset,tone", "--precisions", "float32"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| preset") or line.startswith("| tone")]
    assert len(rows) == 2, proc.stdout
    preset = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert preset[2] == "cpu/float32" and float(preset[3]) > 0 and float(preset[5]) > 0
    assert preset[7].endswith("x")


def test_calibrate_summarises_floors_over_photos_and_styles(tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    for path in PRODUCTS[:2]:
        (photos / path.name).write_bytes(path.read_bytes())
    (photos / "broken.jpg").write_bytes(b"not a photo")  # skipped with a message, not a crash
    csv_path = tmp_path / "scores.csv"
    code = main(["calibrate", str(photos), "--presets", "12,17", "--references", str(PAINTINGS[0]), "--size", "64",
                 "--floors", "0.3,0.35", "--csv", str(csv_path)])  # fmt: skip
    captured = capsys.readouterr()
    assert code == 0 and "skipping" in captured.err
    assert "| 0.35 |" in captured.out and "| preset 17 |" in captured.out
    rows = csv_path.read_text().strip().splitlines()
    assert rows[0] == "photo,style,strength,ssim"
    assert len(rows) == 1 + 2 * 3 * 4  # 2 photos x 3 styles x 4 strengths
    by_photo = {}
    for row in rows[1:]:
        photo, style, strength, score = row.split(",")
        if style == "preset 17":
            by_photo.setdefault(photo, {})[float(strength)] = float(score)
    # weaker blends keep more of each photo
    assert all(scores[0.4] > scores[1.0] for scores in by_photo.values()) and len(by_photo) == 2
