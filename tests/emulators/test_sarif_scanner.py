"""SARIF fixtures: a real scanner's output on tests/fixtures/sarif/project/, and the hand-written
edge cases, checked against the official SARIF 2.1.0 JSON schema (tests/fixtures/sarif/)."""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.parse
import urllib.request

import jsonschema

from emu_case import HERE

REPO = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(REPO, "tests", "fixtures", "sarif")
PROJECT = os.path.join(FIXTURES, "project")
SCRIPT = os.path.join(FIXTURES, "make_scanner_sarif.sh")
BROKEN = {"malformed.sarif", "not-sarif.json"}
LEVELS = {"none", "note", "warning", "error"}
# bandit id -> ruff's port of the same check (flake8-bandit, "S" rules)
RUFF_FOR = {"B104": "S104", "B105": "S105", "B301": "S301", "B324": "S324", "B506": "S506",
            "B602": "S602", "B608": "S608"}

with open(os.path.join(FIXTURES, "sarif-schema-2.1.0.json"), encoding="utf-8") as _fh:
    SCHEMA = json.load(_fh)
VALIDATOR = jsonschema.Draft4Validator(SCHEMA, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)


def load(name: str) -> dict:
    with open(os.path.join(FIXTURES, name), encoding="utf-8") as fh:
        return json.load(fh)


def schema_errors(doc: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in VALIDATOR.iter_errors(doc)]


def marked_lines() -> dict[tuple[str, str], int]:
    """(bandit id, project-relative path) -> line, from the `# …: Bnnn` markers in the project."""
    out = {}
    for path in sorted(glob.glob(os.path.join(PROJECT, "**", "*.py"), recursive=True)):
        rel = os.path.relpath(path, PROJECT).replace(os.sep, "/")
        with open(path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                m = re.search(r"#.*: (B\d{3})$", line.rstrip())
                if m:
                    out[(m.group(1), rel)] = n
    return out


def primary(result: dict) -> dict:
    return result["locations"][0]["physicalLocation"]


def resolve_uri(run: dict, location: dict) -> str | None:
    """SARIF 2.1.0 §3.4.4/§3.14.14: an artifactLocation's absolute URI, following uriBaseId
    chains through run.originalUriBaseIds and index references into run.artifacts; None when
    it cannot be resolved (relative URI without base, unknown base, base without a uri)."""
    if "uri" not in location and "index" in location:
        location = {**run["artifacts"][location["index"]]["location"], **location}
    uri = location.get("uri")
    if uri is None:
        return None
    if urllib.parse.urlsplit(uri).scheme:
        return uri
    base_id = location.get("uriBaseId")
    base = (run.get("originalUriBaseIds") or {}).get(base_id) if base_id else None
    if base is None:
        return None
    base_uri = resolve_uri(run, base)
    return urllib.parse.urljoin(base_uri, uri) if base_uri else None


class ScannerSarifTests(unittest.TestCase):
    """Runs the pinned scanners through make_scanner_sarif.sh, once for the class."""

    out: str

    @classmethod
    def setUpClass(cls) -> None:
        cls.out = tempfile.mkdtemp(prefix="hubble-sarif-")
        env = dict(os.environ, HUBBLE_MOTO_PYTHON=os.environ.get("HUBBLE_MOTO_PYTHON") or sys.executable)
        proc = subprocess.run(["bash", SCRIPT, cls.out], env=env, capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            shutil.rmtree(cls.out, ignore_errors=True)
            raise AssertionError(f"{SCRIPT} failed ({proc.returncode}); install tests/moto/requirements.txt "
                                 f"into {env['HUBBLE_MOTO_PYTHON']}\n{proc.stderr}")

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.out, ignore_errors=True)

    def sarif(self, name: str) -> dict:
        with open(os.path.join(self.out, name), encoding="utf-8") as fh:
            return json.load(fh)

    def assert_shape(self, doc: dict, tool: str) -> list[dict]:
        self.assertEqual(doc["version"], "2.1.0")
        self.assertEqual(len(doc["runs"]), 1)
        run = doc["runs"][0]
        self.assertEqual(run["tool"]["driver"]["name"], tool)
        self.assertTrue(run["results"])
        for r in run["results"]:
            self.assertIsInstance(r["ruleId"], str)
            self.assertTrue(r["message"]["text"])
            if "level" in r:
                self.assertIn(r["level"], LEVELS)
            phys = primary(r)
            self.assertTrue(phys["artifactLocation"]["uri"])
            self.assertGreaterEqual(phys["region"]["startLine"], 1)
        self.assertEqual(schema_errors(doc), [])
        return run["results"]

    def test_bandit_sarif(self):
        doc = self.sarif("bandit.sarif")
        results = self.assert_shape(doc, "Bandit")
        found = {(r["ruleId"], primary(r)["artifactLocation"]["uri"]): primary(r)["region"]["startLine"]
                 for r in results}
        expected = marked_lines()
        self.assertEqual(len(expected), 7)
        for key, line in expected.items():
            self.assertEqual(found.get(key), line, key)
        for r in results:
            uri = primary(r)["artifactLocation"]["uri"]
            self.assertFalse(urllib.parse.urlsplit(uri).scheme, uri)       # relative to the project
            self.assertTrue(os.path.isfile(os.path.join(PROJECT, uri)), uri)
            self.assertIn("snippet", primary(r)["region"])
        # bandit's mapping: HIGH -> error, LOW -> note, MEDIUM -> no level (SARIF default: warning)
        by_severity = {r["properties"]["issue_severity"]: r.get("level") for r in results}
        self.assertEqual(by_severity, {"HIGH": "error", "MEDIUM": None, "LOW": "note"})
        rules = {rule["id"]: rule for rule in doc["runs"][0]["tool"]["driver"]["rules"]}
        self.assertIn("external/cwe/cwe-78", rules["B602"]["properties"]["tags"])
        self.assertEqual({r["ruleId"] for r in results} - set(rules), set())

    def test_ruff_sarif(self):
        results = self.assert_shape(self.sarif("ruff.sarif"), "ruff")
        found = {}
        for r in results:
            uri = primary(r)["artifactLocation"]["uri"]
            self.assertTrue(uri.startswith("file:///"), uri)                  # ruff writes absolute URIs
            path = urllib.request.url2pathname(urllib.parse.urlsplit(uri).path)
            rel = os.path.relpath(path, PROJECT).replace(os.sep, "/")
            found[(r["ruleId"], rel)] = primary(r)["region"]["startLine"]
            self.assertIn("level", r)
        for (bandit_id, rel), line in marked_lines().items():
            self.assertEqual(found.get((RUFF_FOR[bandit_id], rel)), line, (bandit_id, rel))

    def test_committed_bandit_snapshot_is_current(self):
        key = lambda doc: sorted((r["ruleId"], primary(r)["artifactLocation"]["uri"], primary(r)["region"]["startLine"],
                                  r.get("level")) for r in doc["runs"][0]["results"])
        self.assertEqual(key(load("bandit-project.sarif")), key(self.sarif("bandit.sarif")),
                         "re-run make_scanner_sarif.sh and copy bandit.sarif to bandit-project.sarif")


class FixtureTests(unittest.TestCase):
    def test_every_valid_fixture_passes_the_official_schema(self):
        names = sorted(os.path.basename(p) for p in glob.glob(os.path.join(FIXTURES, "*.sarif")))
        self.assertGreaterEqual(len(names), 13)
        for name in names:
            if name in BROKEN:
                continue
            with self.subTest(name):
                doc = load(name)
                self.assertEqual(doc["version"], "2.1.0")
                self.assertEqual(schema_errors(doc), [])
        self.assertEqual(SCHEMA["properties"]["version"]["enum"], ["2.1.0"])

    def test_broken_files(self):
        with self.assertRaises(json.JSONDecodeError) as cm:
            load("malformed.sarif")
        self.assertEqual(cm.exception.lineno, 185)
        with open(os.path.join(FIXTURES, "malformed.sarif"), encoding="utf-8") as fh:
            self.assertEqual(fh.read().count("\n") + 1, 185)          # truncated on its last line
        doc = load("not-sarif.json")
        self.assertNotIn("runs", doc)
        self.assertTrue(schema_errors(doc))

    def test_multi_run(self):
        runs = load("multi-run.sarif")["runs"]
        self.assertEqual([r["tool"]["driver"]["name"] for r in runs], ["CodeQL", "Bandit"])
        self.assertEqual([len(r["results"]) for r in runs], [2, 2])

    def test_no_locations(self):
        run = load("no-locations.sarif")["runs"][0]
        results = run["results"]
        self.assertNotIn("locations", results[0])
        self.assertEqual(results[1]["locations"], [])
        for r in results:
            for location in r.get("locations", []):
                self.assertNotIn("physicalLocation", location)
        self.assertEqual(results[3]["locations"][0]["logicalLocations"][0]["index"], 0)
        self.assertEqual(run["logicalLocations"][0]["fullyQualifiedName"], "acme.billing")

    def test_base_ids_resolve(self):
        run = load("base-ids.sarif")["runs"][0]
        root = "file:///home/runner/work/acme/api/"
        got = [resolve_uri(run, primary(r)["artifactLocation"]) for r in run["results"]]
        self.assertEqual(got, [
            root + "src/billing/invoice.py", root + "src/app.py", root + "tests/test_invoice.py",
            root + "Dockerfile", root + "src/billing/invoice.py", None, root + "scripts/deploy%20prod.py",
            "file:///etc/acme/settings.py", None, None])
        self.assertIn("%SRCROOT%", run["originalUriBaseIds"])

    def test_fingerprints(self):
        results = load("fingerprints.sarif")["runs"][0]["results"]
        self.assertTrue(all("partialFingerprints" in r or "fingerprints" in r for r in results))
        self.assertEqual(results[0]["partialFingerprints"]["primaryLocationLineHash"], "9f1c2a7be4d03f55:1")
        for r in load("no-fingerprints.sarif")["runs"][0]["results"]:
            self.assertNotIn("fingerprints", r)
            self.assertNotIn("partialFingerprints", r)

    def test_security_severity_and_levels(self):
        run = load("security-severity.sarif")["runs"][0]
        rules = run["tool"]["driver"]["rules"]
        scores = {r["id"]: r.get("properties", {}).get("security-severity") for r in rules}
        self.assertEqual(scores, {"SEC001": "9.8", "SEC002": "7.5", "SEC003": "5.0", "SEC004": "0.5",
                                  "QUAL001": None, "QUAL002": None, "SEC005": "high", "SEC006": 8.1})

        def effective_level(result: dict) -> str:  # SARIF 2.1.0 §3.27.10
            if "level" in result:
                return result["level"]
            if result.get("kind", "fail") != "fail":
                return "none"
            ref = result.get("ruleIndex", result.get("rule", {}).get("index"))
            rule = rules[ref] if ref is not None else None
            return ((rule or {}).get("defaultConfiguration") or {}).get("level", "warning")

        got = [(r.get("ruleId") or r["rule"]["id"], effective_level(r)) for r in run["results"]]
        self.assertEqual(got, [("SEC001", "error"), ("SEC002", "error"), ("SEC003", "note"), ("SEC004", "none"),
                               ("QUAL001", "warning"), ("QUAL002", "warning"), ("SEC005", "warning"),
                               ("SEC006", "note"), ("QUAL002", "none"), ("EXT999", "error"), ("SEC001", "error")])
        tags = [t for r in rules for t in r.get("properties", {}).get("tags", [])]
        for form in ("external/cwe/cwe-089", "CWE-79", "cwe-1004"):
            self.assertIn(form, tags)

    def test_baseline_states(self):
        results = load("baseline.sarif")["runs"][0]["results"]
        self.assertEqual([r.get("baselineState") for r in results], ["new", "unchanged", "updated", "absent", None])

    def test_snippets(self):
        results = load("snippets.sarif")["runs"][0]["results"]
        self.assertIn("SELECT * FROM users", primary(results[0])["region"]["snippet"]["text"])
        self.assertEqual(primary(results[0])["contextRegion"]["snippet"]["text"].count("\n"), 5)
        self.assertIn("\r\n\t", primary(results[1])["region"]["snippet"]["text"])
        self.assertNotIn("snippet", primary(results[2])["region"])
        self.assertNotIn("startLine", primary(results[3])["region"])
        self.assertIn("binary", primary(results[4])["region"]["snippet"])

    def test_vcs(self):
        vcp = load("vcs.sarif")["runs"][0]["versionControlProvenance"]
        self.assertEqual((vcp[0]["repositoryUri"], vcp[0]["branch"]), ("https://github.com/acme/api", "main"))
        self.assertRegex(vcp[0]["revisionId"], r"^[0-9a-f]{40}$")

    def test_hostile_content_is_really_there(self):
        with open(os.path.join(FIXTURES, "hostile.sarif"), "rb") as fh:
            raw = fh.read()
        self.assertIn("\u202e".encode(), raw)               # raw bidi override bytes, not only escapes
        self.assertIn(b"\\u001b[2J", raw)
        run = load("hostile.sarif")["runs"][0]
        texts = [r["message"]["text"] for r in run["results"]]
        self.assertTrue(any("\x1b[2J" in t for t in texts))
        self.assertTrue(any("\u202e" in t for t in texts))
        self.assertTrue(any("\x9b" in t and "\x85" in t for t in texts))
        self.assertTrue(any("\x00" in t for t in texts))
        self.assertGreaterEqual(max(len(t) for t in texts), 100 * 1024)
        self.assertTrue(any("javascript:" in r["message"].get("markdown", "") for r in run["results"]))
        self.assertIn("\n", run["results"][0]["ruleId"])
        self.assertEqual(run["results"][0]["ruleId"], run["tool"]["driver"]["rules"][0]["id"])
        self.assertIn("\x1b", run["tool"]["driver"]["name"])

    def test_empty_results(self):
        runs = load("empty-results.sarif")["runs"]
        self.assertEqual(runs[0]["results"], [])
        self.assertNotIn("results", runs[1])
        self.assertFalse(runs[2]["invocations"][0]["executionSuccessful"])


if __name__ == "__main__":
    unittest.main()
