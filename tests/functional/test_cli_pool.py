"""`printreg pool` end to end, in-process, on a CSV of metafor's dat.bcg trials (no database)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from tests.support.meta_reference import PUBLISHED, V, Y
from typer.testing import CliRunner

from printreg.cli.app import app

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def write_csv(path: Path, rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.fixture
def bcg_csv(tmp_path: Path) -> Path:
    rows: list[list[object]] = [["trial", "yi", "vi"]]
    rows += [
        [f"trial {i}", repr(float(y)), repr(float(v))]
        for i, (y, v) in enumerate(zip(Y, V, strict=True), 1)
    ]
    return write_csv(tmp_path / "bcg.csv", rows)


def pool_json(path: Path, *options: str) -> dict[str, object]:
    code, out, err = invoke(
        "pool", str(path), "--effect", "yi", "--variance", "vi", "--json", *options
    )
    assert code == 0, err
    data: dict[str, object] = json.loads(out)
    return data


def test_reml_json_matches_metafor(bcg_csv: Path) -> None:
    data = pool_json(bcg_csv)
    assert data["method"] == "REML"
    assert data["k"] == 13
    assert data["estimate"] == pytest.approx(-0.7145, abs=PUBLISHED)
    assert data["se"] == pytest.approx(0.1798, abs=PUBLISHED)
    assert data["tau2"] == pytest.approx(0.3132, abs=PUBLISHED)
    assert data["i2"] == pytest.approx(92.22, abs=0.005)
    assert data["q"] == pytest.approx(152.2330, abs=PUBLISHED)
    for key in ("ci_low", "ci_high", "pi_low", "pi_high", "h2", "q_p", "weights", "pi_reliable"):
        assert key in data
    studies = data["studies"]
    assert isinstance(studies, list)
    assert len(studies) == 13
    assert studies[0]["label"] == "1"
    assert sum(s["weight"] for s in studies) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (("--method", "FE"), {"estimate": -0.4303, "ci_low": -0.5097, "ci_high": -0.3509}),
        (
            ("--method", "DL"),
            {
                "estimate": -0.7141,
                "ci_low": -1.0644,
                "ci_high": -0.3638,
                "tau2": 0.3088,
                "i2": 92.1173,
            },
        ),
        (("--method", "REML", "--hksj"), {"ci_low": -1.1084, "ci_high": -0.3206}),
        (("--method", "PM"), {"tau2": 0.3181}),
    ],
)
def test_each_method_matches_metafor(
    bcg_csv: Path, options: tuple[str, ...], expected: dict[str, float]
) -> None:
    data = pool_json(bcg_csv, *options)
    for key, value in expected.items():
        assert data[key] == pytest.approx(value, abs=PUBLISHED), key


def test_hksj_reports_its_degrees_of_freedom(bcg_csv: Path) -> None:
    data = pool_json(bcg_csv, "--hksj", "--level", "0.9")
    assert data["hksj"] is True
    assert data["df"] == 12
    assert data["level"] == 0.9


def test_human_output_lists_studies_with_weights_and_shrunken_estimates(bcg_csv: Path) -> None:
    code, out, err = invoke(
        "pool", str(bcg_csv), "--effect", "yi", "--variance", "vi", "--label", "trial"
    )
    assert code == 0, err
    assert "REML pooled estimate of 13 studies" in out
    assert "-0.7145" in out
    assert "trial 13" in out
    assert "EB estimate" in out


def test_few_studies_flag_the_prediction_interval(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "three.csv", [["y", "v"], [0.1, 0.04], [0.5, 0.09], [0.3, 0.02]])
    code, out, err = invoke("pool", str(path), "--effect", "y", "--variance", "v")
    assert code == 0, err
    assert "unreliable" in out


@pytest.mark.parametrize(
    ("rows", "options", "message"),
    [
        ([["yi", "se"], [0.1, 0.2], [0.2, 0.3]], (), "no column 'vi'; the columns are 'yi', 'se'"),
        ([["yi", "vi"], [0.1, 0.2], [0.2, 0.3]], ("--label", "site"), "no column 'site'"),
        (
            [["yi", "vi"], [0.1, 0.2], ["abc", 0.3]],
            (),
            "row 2 (line 3), column 'yi': 'abc' is not a number",
        ),
        ([["yi", "vi"], [0.1, 0.2], [0.3, ""]], (), "row 2 (line 3), column 'vi' is empty"),
        (
            [["yi", "vi"], [0.1, 0.2], [0.3, "nan"]],
            (),
            "row 2 (line 3), column 'vi': 'nan' is not a finite number",
        ),
        (
            [["yi", "vi"], [0.1, 0.2], [0.3, 0]],
            (),
            "row 2 (line 3), column 'vi': a variance must be positive; got 0",
        ),
        ([["yi", "vi"], [0.1, -0.2], [0.3, 0.1]], (), "a variance must be positive; got -0.2"),
        ([["yi", "vi"], [0.1, 0.2]], (), "pooling needs at least 2 studies"),
        ([["yi", "vi"]], (), "has 0 row(s)"),
        ([], (), "the columns are (none)"),
    ],
)
def test_bad_files_give_one_line_and_exit_1(
    tmp_path: Path, rows: list[list[object]], options: tuple[str, ...], message: str
) -> None:
    path = write_csv(tmp_path / "bad.csv", rows)
    code, out, err = invoke("pool", str(path), "--effect", "yi", "--variance", "vi", *options)
    assert code == 1
    assert message in " ".join(err.split())
    assert out == ""


def test_missing_file_gives_one_line_and_exit_1(tmp_path: Path) -> None:
    code, _, err = invoke(
        "pool", str(tmp_path / "nowhere.csv"), "--effect", "yi", "--variance", "vi"
    )
    assert code == 1
    assert "nowhere.csv: no such file" in " ".join(err.split())


def test_bad_level_and_method(bcg_csv: Path) -> None:
    code, _, err = invoke(
        "pool", str(bcg_csv), "--effect", "yi", "--variance", "vi", "--level", "95"
    )
    assert code == 1
    assert "level must lie strictly between 0 and 1" in err
    code, _, _ = invoke(
        "pool", str(bcg_csv), "--effect", "yi", "--variance", "vi", "--method", "ML"
    )
    assert code == 2  # a usage mistake, as for every command
