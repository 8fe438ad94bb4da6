"""The printreg command end to end, in-process, on both databases."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from tests.support.records import records
from typer.testing import CliRunner

from printreg.cli.app import app
from printreg.dictionary import shipped_definition_paths
from printreg.platform import Platform

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_db_upgrade_is_idempotent(platform: Platform) -> None:
    code, out, _ = invoke("db", "upgrade")
    assert code == 0
    assert "0 change(s)" in out


def test_facility_printer_and_case_workflow(platform: Platform, tmp_path: Path) -> None:
    assert (
        invoke("facility", "add", "LAB1", "--name", "Lakeside Lab", "--type", "community")[0] == 0
    )
    code, _, err = invoke("facility", "add", "LAB2", "--name", "X", "--type", "castle")
    assert code == 1
    assert "facility_type" in err
    assert (
        invoke(
            "printer", "add", "-f", "LAB1", "--label", "J850-1", "--technology", "material_jetting"
        )[0]
        == 0
    )
    code, out, _ = invoke("printer", "list", "--json")
    assert [p["label"] for p in json.loads(out)] == ["J850-1"]

    record = records("F0001", 1)[0]
    record.pop("facility")
    for print_row in record["prints"]:
        print_row["printer"] = "J850-1"
    good = tmp_path / "case.json"
    good.write_text(json.dumps(record))
    code, out, err = invoke("case", "add", str(good), "--facility", "LAB1")
    assert code == 0, err
    case_id = out.strip().splitlines()[-1]

    code, out, _ = invoke("case", "show", case_id, "--json")
    assert code == 0
    shown = json.loads(out)
    assert shown["facility"] == "LAB1"
    assert shown["local_case_id"] == record["local_case_id"]
    shown["local_case_id"] = "LAB1-COPY"
    again = tmp_path / "again.json"
    again.write_text(json.dumps(shown))
    assert invoke("case", "add", str(again), "--facility", "LAB1")[0] == 0

    code, out, _ = invoke("case", "list", "--facility", "LAB1", "--json")
    assert sorted(c["local_case_id"] for c in json.loads(out)["items"]) == sorted(
        [record["local_case_id"], "LAB1-COPY"]
    )
    organ = record["organ_system"]
    code, out, _ = invoke("case", "list", "--where", f"organ_system={organ}", "--json")
    assert code == 0
    assert len(json.loads(out)["items"]) == 2
    # no shorthand names one registry's element (issue 13): --where is the one filter
    assert invoke("case", "list", "--organ-system", organ, "--json")[0] == 2
    other = "cardiac" if organ != "cardiac" else "neurologic"
    code, out, _ = invoke("case", "list", "--where", f"organ_system={other}", "--json")
    assert json.loads(out)["items"] == []
    code, _, err = invoke("case", "list", "--where", "local_case_id=X")
    assert code == 1
    assert "filter by a coded field" in err
    code, _, err = invoke("case", "list", "--where", "organ_system")
    assert code == 1
    assert "ELEMENT=VALUE" in err
    assert invoke("case", "delete", case_id)[0] == 0
    assert invoke("case", "restore", case_id)[0] == 0
    code, out, _ = invoke("case", "history", case_id, "--json")
    assert [e["action"] for e in json.loads(out)] == ["create", "delete", "restore"]


def test_case_add_prints_every_issue_and_exits_1(seeded: Platform, tmp_path: Path) -> None:
    record = records("F0001", 1)[0]
    record["prints"][0]["scale_pct"] = 0
    record["indication_text"] = "Patient: Jane Doe, MRN 48213377"
    record["colour"] = "red"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(record))
    code, out, err = invoke("case", "add", str(bad), "--facility", "F0001")
    assert code == 1
    for expected in (
        "prints[1].scale_pct",
        "identifier_person_name",
        "identifier_mrn",
        "unknown_field",
        "nothing was saved",
    ):
        assert expected in err
    assert "Jane Doe" not in out + err
    assert "48213377" not in out + err
    code, out, err = invoke("case", "add", str(bad), "--facility", "F0001", "--json")
    assert code == 1
    assert {i["rule"] for i in json.loads(out)["issues"]} >= {"range", "unknown_field"}


@pytest.mark.parametrize("content", ["{not json", "[1, 2]"])
def test_case_add_refuses_a_file_that_is_not_a_record(
    seeded: Platform, tmp_path: Path, content: str
) -> None:
    path = tmp_path / "x.json"
    path.write_text(content)
    code, _, err = invoke("case", "add", str(path), "--facility", "F0001")
    assert code == 1
    assert "x.json" in err


def test_unknown_case_id_is_a_clear_error(platform: Platform) -> None:
    code, _, err = invoke("case", "show", "01234567-89ab-7def-8123-456789abcdef")
    assert code == 1
    assert "no such case" in err


def test_registry_commands(platform: Platform, tmp_path: Path) -> None:
    code, out, _ = invoke("registry", "list", "--json")
    assert code == 0
    assert [r["code"] for r in json.loads(out)] == ["3dp", "gsae"]
    code, out, _ = invoke("registry", "show", "3dp", "--json")
    assert json.loads(out)["version"] == "1.1.0"
    shipped = next(p for p in shipped_definition_paths() if p.name == "definition-1.1.0.yaml")
    code, out, _ = invoke("registry", "check-definition", str(shipped))
    assert code == 0, out
    assert "valid definition of 3dp 1.1.0" in out

    changed = tmp_path / "definition-1.1.1.yaml"
    text = shipped.read_text().replace("version: 1.1.0", "version: 1.1.1")
    changed.write_text(text.replace("max_length: 64", "max_length: 32", 1))
    (tmp_path / "sig_scenarios.yaml").write_text(
        (shipped.parent / "sig_scenarios.yaml").read_text()
    )
    code, out, err = invoke("registry", "check-definition", str(changed))
    assert code == 1
    assert "local_case_id: max_length changed" in out
    assert "major version bump" in err

    broken = tmp_path / "broken.yaml"
    broken.write_text("registry: {code: x, name: X}\nversion: one\nsections: []\n")
    code, _, err = invoke("registry", "check-definition", str(broken))
    assert code == 1
    assert "version" in err
    assert "sections" in err


def test_synth_and_demo(platform: Platform) -> None:
    code, out, err = invoke("synth", "--facilities", "3", "--cases", "60", "--seed", "3")
    assert code == 0, err
    assert "added 3 facilities" in out
    code, out, err = invoke("demo", "--facilities", "3", "--cases", "10", "--no-serve")
    assert code == 0, err
    assert "3D Printing Registry" in out
    assert "cases by organ_system" in out
    for email in ("committee.1@", "committee.3@", "researcher@", "sponsor@", "registry.admin@"):
        assert f"{email}demo.printreg.org" in out
    assert "in registries 3dp, gsae" in out
    assert "F0001's benchmarks beside its peer group" in out


def test_user_commands_give_roles_per_registry(seeded: Platform) -> None:
    password = "a-long-enough-password\n" * 2
    result = runner.invoke(
        app,
        ["user", "add", "Dana@Example.org", "--name", "Dana", "--role", "F0001=data_manager",
         "--json"],
        input=password,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    dana = json.loads(result.stdout)
    assert dana["memberships"] == {"3dp": {"F0001": "data_manager"}}
    code, out, _ = invoke("user", "role", "dana@example.org", "F0001", "viewer", "-r", "gsae",
                          "--json")  # fmt: skip
    assert code == 0
    assert json.loads(out)["memberships"] == {
        "3dp": {"F0001": "data_manager"},
        "gsae": {"F0001": "viewer"},
    }
    code, out, _ = invoke("user", "role", "dana@example.org", "F0001", "none", "--json")
    assert json.loads(out)["memberships"] == {"gsae": {"F0001": "viewer"}}
    code, out, _ = invoke("user", "show", "dana@example.org")
    assert code == 0
    assert "gsae" in out
    assert "viewer" in out

    result = runner.invoke(
        app,
        ["user", "add", "chair@example.org", "--name", "Chair", "--registry-role", "committee",
         "--registry-role", "researcher", "-r", "gsae", "--json"],
        input=password,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert sorted(json.loads(result.stdout)["registry_roles"]["gsae"]) == [
        "committee",
        "researcher",
    ]
    assert invoke("user", "role", "dana@example.org", "F0001", "boss")[0] == 1
    assert invoke("user", "role", "nobody@example.org", "F0001", "viewer")[0] == 1
    bad = runner.invoke(app, ["user", "add", "x@example.org", "--name", "X", "--role", "F0001"],
                        input=password)  # fmt: skip
    assert bad.exit_code == 1
    assert "FACILITY=ROLE" in bad.stderr


def test_facility_date_order_and_the_template_bundle(seeded: Platform, tmp_path: Path) -> None:
    code, out, _ = invoke("facility", "date-order", "F0001", "dmy")
    assert code == 0
    assert "YYYY-MM-DD or DD/MM/YYYY" in out
    code, _, err = invoke("facility", "date-order", "F0001", "ymd")
    assert code == 1
    assert "date_order" in err
    code, out, _ = invoke("facility", "date-order", "F0001", "iso")
    assert (code, out.strip()) == (0, "F0001 reads dates as YYYY-MM-DD")
    bundle = tmp_path / "template.zip"
    assert invoke("template", "--out", str(bundle))[0] == 0
    with zipfile.ZipFile(bundle) as archive:
        assert "README.txt" in archive.namelist()
        assert "3dp-example.csv" in archive.namelist()
