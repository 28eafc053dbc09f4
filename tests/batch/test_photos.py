"""Which photos a batch takes: folders listed in order, manifests validated row by row."""

from __future__ import annotations

from pathlib import Path

import pytest

from dermadelta.batch.photos import read_manifest, read_photo_set
from dermadelta.cli import main
from dermadelta.errors import InputError


def _files(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"x")


def _manifest(folder: Path, text: str) -> Path:
    path = folder / "manifest.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_folder_gives_every_file_recursively_in_sorted_order_except_hidden_ones_and_the_output(tmp_path):
    _files(tmp_path, "b.jpg", "a/z.png", "a/b.txt", ".DS_Store", ".cache/x.jpg", "out/metrics.csv")
    photo_set = read_photo_set(tmp_path, exclude=tmp_path / "out")
    assert [e.path for e in photo_set.entries] == ["a/b.txt", "a/z.png", "b.jpg"]
    assert photo_set.problems == ()


def test_a_missing_or_empty_folder_or_a_non_csv_file_is_refused_with_a_reason(tmp_path):
    with pytest.raises(InputError, match="no such folder or file"):
        read_photo_set(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no files in this folder"):
        read_photo_set(tmp_path / "empty")
    _files(tmp_path, "photo.jpg")
    with pytest.raises(InputError, match="folder of photos or a .csv manifest"):
        read_photo_set(tmp_path / "photo.jpg")


def test_a_manifest_gives_paths_relative_to_its_folder_with_the_research_columns(tmp_path):
    _files(tmp_path, "p/1.jpg", "p/2.jpg")
    manifest = _manifest(
        tmp_path,
        "Path, Subject ,session,concern,depth_mm,view,notes\np/1.jpg,A,0,texture,,front,x\np\\2.jpg,A,2,,0.75,,\n",
    )
    first, second = read_manifest(manifest).entries
    assert (first.path, first.subject, first.session, first.concern, first.depth_mm, first.view, first.line) == (
        "p/1.jpg",
        "A",
        0,
        "texture",
        None,
        "front",
        2,
    )
    assert (second.path, second.session, second.depth_mm, second.line) == ("p/2.jpg", 2, 0.75, 3)
    assert second.file == (tmp_path / "p" / "2.jpg").resolve()


def test_every_bad_row_is_reported_with_its_line_number_and_the_good_rows_go_on(tmp_path):
    _files(tmp_path, "ok.jpg", "dup.jpg", "sub/x.jpg")
    (tmp_path.parent / "secret.jpg").write_bytes(b"x")
    (tmp_path / "link.jpg").symlink_to(tmp_path.parent / "secret.jpg")
    manifest = _manifest(
        tmp_path,
        "\n".join(
            [
                "path,subject,session,depth_mm",
                "ok.jpg,A,0,",  # 2
                "/etc/passwd,A,1,",  # 3
                "../secret.jpg,A,1,",  # 4
                "C:\\photos\\x.jpg,A,1,",  # 5
                "missing.jpg,A,1,",  # 6
                "dup.jpg,B,0,",  # 7
                "./dup.jpg,B,1,",  # 8
                "sub,B,1,",  # 9
                "sub/x.jpg,B,one,",  # 10
                "sub/x.jpg,B,-1,",  # 11
                "sub/x.jpg,B,1,9",  # 12
                "sub/x.jpg,B,1,nan",  # 13
                "sub/x.jpg,B",  # 14
                ",B,1,",  # 15
                "link.jpg,C,0,",  # 16
                "",  # a blank line is no row
            ]
        ),
    )
    photo_set = read_manifest(manifest)
    assert [e.path for e in photo_set.entries] == ["ok.jpg", "dup.jpg"]
    reasons = {p.line: p.reason for p in photo_set.problems}
    assert "absolute paths are refused" in reasons[3]
    assert "'..'" in reasons[4]
    assert "absolute paths are refused" in reasons[5]
    assert reasons[6] == "no such file"
    assert reasons[8] == "the same photo as line 7"
    assert reasons[9] == "is a folder, not a photo"
    assert "session must be a whole number" in reasons[10] and "session" in reasons[11]
    assert "depth_mm" in reasons[12] and "depth_mm" in reasons[13]
    assert "2 fields, but the header names 4 columns" in reasons[14]
    assert reasons[15] == "no path"
    assert "leads outside" in reasons[16]
    assert len(photo_set.problems) == 13


def test_unicode_names_and_a_spreadsheet_byte_order_mark_are_read(tmp_path):
    _files(tmp_path, "séance 1/visage_ü.jpg")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("path,subject\nséance 1/visage_ü.jpg,Zoë\n", encoding="utf-8-sig")
    (entry,) = read_manifest(manifest).entries
    assert (entry.path, entry.subject) == ("séance 1/visage_ü.jpg", "Zoë")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"file,subject\na.jpg,A\n", "no 'path' column (columns found: file, subject)"),
        (b"", "empty; the first line must name the columns"),
        (b"path\n", "the manifest has no rows"),
        (b"path,path\na.jpg,b.jpg\n", "column 'path' appears more than once"),
        (b"path\n\xff\xfe\x00a\n", "not a UTF-8 text file"),
    ],
)
def test_an_unusable_manifest_exits_2_with_one_line(tmp_path, capsys, content, message):
    manifest = tmp_path / "manifest.csv"
    manifest.write_bytes(content)
    assert main(["batch", str(manifest), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_a_manifest_whose_rows_are_all_bad_exits_2_after_listing_them(tmp_path, capsys):
    manifest = _manifest(tmp_path, "path\nmissing.jpg\n../x.jpg\n")
    assert main(["batch", str(manifest), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert "line 2: missing.jpg: no such file" in err[0] and "line 3" in err[1]
    assert "no photo to analyse" in err[2]


@pytest.mark.parametrize(("option", "message"), [("--workers=-1", "--workers"), ("--format=xlsx", "--format")])
def test_bad_options_exit_2_with_one_line(study, tmp_path, capsys, option, message):
    assert main(["batch", str(study / "manifest.csv"), "--out", str(tmp_path / "out"), option]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
