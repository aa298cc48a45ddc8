"""Tests of Security Hub v2 / OCSF (hubble_securityhub_v2.py) through boto3.

Run: python -m unittest discover -s tests/moto -p 'test_*.py' -v
"""

from __future__ import annotations

import copy
import json
import os
import unittest

import botocore.session
from botocore.exceptions import ClientError
from server_case import ServerTestCase

HERE = os.path.dirname(os.path.abspath(__file__))
ACCOUNT, REGION = "123456789012", "us-east-1"
with open(os.path.join(HERE, "ocsf_examples.json")) as _f:
    EXAMPLES = json.load(_f)


def ocsf(kind: str, n: int, account: str = ACCOUNT, region: str = REGION, **top) -> dict:
    """An example finding made unique by n; keyword arguments replace top-level members."""
    f = copy.deepcopy(EXAMPLES[kind])
    f["metadata"]["uid"] = f"{kind}-{account}-{region}-{n:03d}"
    f["finding_info"]["uid"] = f"{f['finding_info']['uid']}-{n:03d}"
    f["cloud"].update(region=region, account={"uid": account, "name": f"acct-{account}"})
    f["metadata"]["product"]["uid"] = f["metadata"]["product"]["uid"].replace("us-east-1", region)
    f.update(top)
    return f


def sf(field: str, value: str, comparison: str = "EQUALS") -> dict:
    return {"FieldName": field, "Filter": {"Value": value, "Comparison": comparison}}


class SecurityHubV2Test(ServerTestCase):
    service = "securityhub"

    def setUp(self) -> None:
        self.http("POST", "/moto-api/reset")

    def assert_error(self, ctx, code: str, status: int) -> None:
        err = ctx.exception.response
        self.assertEqual(err["Error"]["Code"], code, err)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status)

    def load(self, findings: list[dict], **where) -> dict:
        status, body = self.http("POST", "/_hubble/securityhub/v2/findings", {"findings": findings, **where})
        self.assertEqual(status, 200, body)
        return body

    def hub(self, findings: list[dict] | None = None, **client):
        hub = self.client(**client)
        hub.enable_security_hub_v2()
        if findings:
            self.load(findings)
        return hub

    def uids(self, hub, **kwargs) -> list[str]:
        found, token = [], None
        while True:
            page = hub.get_findings_v2(**kwargs, **({"NextToken": token} if token else {}))
            found += [f["metadata"]["uid"] for f in page["Findings"]]
            token = page.get("NextToken")
            if not token:
                return found

    # ----------------------------------------------------------------- hub lifecycle
    def test_not_enabled_answers_access_denied(self) -> None:
        hub = self.client()
        hub.enable_security_hub()  # v1 does not turn on v2
        for call in (lambda: hub.get_findings_v2(),
                     lambda: hub.batch_update_findings_v2(MetadataUids=["x"], StatusId=2),
                     lambda: hub.get_finding_statistics_v2(GroupByRules=[{"GroupByField": "severity"}])):
            with self.assertRaises(ClientError) as ctx:
                call()
            self.assert_error(ctx, "AccessDeniedException", 403)
            self.assertIn("not enabled", ctx.exception.response["Error"]["Message"])
        with self.assertRaises(ClientError) as ctx:
            hub.describe_security_hub_v2()
        self.assert_error(ctx, "ResourceNotFoundException", 404)
        arn = hub.enable_security_hub_v2(Tags={"team": "soc"})["HubV2Arn"]
        self.assertTrue(arn.startswith(f"arn:aws:securityhub:{REGION}:{ACCOUNT}:hubv2/"))
        self.assertEqual(hub.enable_security_hub_v2()["HubV2Arn"], arn)  # idempotent
        described = hub.describe_security_hub_v2()
        self.assertEqual(described["HubV2Arn"], arn)
        self.assertIn("SubscribedAt", described)
        self.assertEqual(hub.get_findings_v2()["Findings"], [])
        with self.assertRaises(ClientError) as ctx:  # Regions are separate
            self.client(region="eu-west-1").get_findings_v2()
        self.assert_error(ctx, "AccessDeniedException", 403)
        hub.disable_security_hub_v2()
        with self.assertRaises(ClientError) as ctx:
            hub.get_findings_v2()
        self.assert_error(ctx, "AccessDeniedException", 403)
        hub.get_findings()  # v1 unaffected

    def test_import_validation_and_overwrite(self) -> None:
        hub = self.hub()
        good = ocsf("compliance", 1)
        bad = []
        for path in ("metadata.uid", "finding_info.uid", "cloud.account.uid", "metadata.product.uid"):
            f = copy.deepcopy(good)
            holder = f
            *parents, last = path.split(".")
            for p in parents:
                holder = holder[p]
            del holder[last]
            bad.append(f)
        bad += [dict(good, severity_id=7), dict(good, class_uid=1001), dict(good, status_id=9),
                dict(good, finding_info=dict(good["finding_info"], modified_time_dt="yesterday"))]
        for f in bad:
            status, body = self.http("POST", "/_hubble/securityhub/v2/findings", {"findings": [good, f]})
            self.assertEqual(status, 400, body)
        status, body = self.http("POST", "/_hubble/securityhub/v2/findings",
                                 {"findings": [good], "account": "999999999999"})
        self.assertEqual(status, 400, body)
        self.assertEqual(hub.get_findings_v2()["Findings"], [])  # all or nothing
        minimal = {"class_uid": 2004, "severity_id": 2,
                   "metadata": {"uid": "m-1", "product": {"uid": "p", "name": "Custom"}},
                   "finding_info": {"uid": "f-1", "title": "t"},
                   "cloud": {"account": {"uid": ACCOUNT}, "region": REGION}}
        self.assertEqual(self.load([good, minimal]), {"imported": 2, "created": 2, "updated": 0})
        got = {f["metadata"]["uid"]: f for f in hub.get_findings_v2()["Findings"]}
        filled = got["m-1"]
        self.assertEqual((filled["severity"], filled["status_id"], filled["status"], filled["class_name"]),
                         ("Low", 1, "New", "Detection Finding"))
        self.assertEqual(filled["finding_info"]["modified_time_dt"], filled["finding_info"]["created_time_dt"])
        self.assertEqual(got[good["metadata"]["uid"]], good)  # complete findings come back as sent
        for kind in ("detection", "vulnerability"):  # so do the other examples
            self.load([EXAMPLES[kind]])
            back = [f for f in hub.get_findings_v2()["Findings"]
                    if f["metadata"]["uid"] == EXAMPLES[kind]["metadata"]["uid"]]
            self.assertEqual(back, [EXAMPLES[kind]])
        renamed = dict(good, finding_info=dict(good["finding_info"], title="renamed"))
        self.assertEqual(self.load([renamed])["updated"], 1)
        titles = [f["finding_info"]["title"] for f in hub.get_findings_v2()["Findings"]]
        self.assertEqual(sorted(titles)[-2:], ["renamed", "t"])
        self.assertEqual(len(titles), 4)

    # ----------------------------------------------------------------- filters
    def test_composite_filters(self) -> None:
        hub = self.hub([ocsf("compliance", 1), ocsf("detection", 2), ocsf("vulnerability", 3),
                        ocsf("compliance", 4, severity_id=2, severity="Low",
                             compliance=dict(EXAMPLES["compliance"]["compliance"], control="IAM.1"))])
        u = lambda kind, n: f"{kind}-{ACCOUNT}-{REGION}-{n:03d}"  # noqa: E731
        c1, d2, v3, c4 = u("compliance", 1), u("detection", 2), u("vulnerability", 3), u("compliance", 4)

        def one(**composite) -> dict:
            return {"Filters": {"CompositeFilters": [composite]}}
        cases = [
            (one(StringFilters=[sf("class_name", "Compliance Finding")]), [c1, c4]),
            (one(StringFilters=[sf("compliance.control", "S3.8"), sf("severity", "High")]), [c1]),
            (one(StringFilters=[sf("severity", "High"), sf("severity", "Critical")], Operator="OR"), [c1, d2, v3]),
            (one(StringFilters=[sf("severity", "High"), sf("severity", "Critical")]), []),  # AND
            (one(StringFilters=[sf("finding_info.title", "S3 ", "PREFIX")]), [c1, c4]),
            (one(StringFilters=[sf("finding_info.title", "ec2 INSTANCE", "CONTAINS_WORD")]), [d2]),
            (one(StringFilters=[sf("finding_info.title", "EC2 inst", "CONTAINS_WORD")]), []),
            (one(StringFilters=[sf("severity", "High", "NOT_EQUALS")]), [d2, c4]),
            (one(StringFilters=[sf("finding_info.types", "Threats")]), [d2]),  # any list element
            (one(StringFilters=[sf("resources.type", "AWS::EC2::", "PREFIX_NOT_EQUALS")]), [c1, c4]),
            (one(StringFilters=[sf("vulnerabilities.cve.uid", "CVE-2023-38545")]), [v3]),
            (one(StringFilters=[sf("cloud.account.uid", ACCOUNT)]), [c1, d2, v3, c4]),
            (one(NumberFilters=[{"FieldName": "severity_id", "Filter": {"Gte": 4}}]), [c1, d2, v3]),
            (one(NumberFilters=[{"FieldName": "vulnerabilities.cve.cvss.base_score", "Filter": {"Gt": 9}}]), [v3]),
            (one(NumberFilters=[{"FieldName": "status_id", "Filter": {"Eq": 2}}]), [v3]),
            (one(DateFilters=[{"FieldName": "finding_info.modified_time_dt",
                               "Filter": {"Start": "2025-05-25T00:00:00Z"}}]), [c1, d2, c4]),
            (one(DateFilters=[{"FieldName": "finding_info.created_time_dt",
                               "Filter": {"End": "2025-05-01T00:00:00+02:00"}}]), [c1, c4]),
            (one(DateFilters=[{"FieldName": "finding_info.last_seen_time_dt",
                               "Filter": {"DateRange": {"Value": 30, "Unit": "DAYS", "Comparison": "OLDER_THAN"}}}]),
             [c1, d2, v3, c4]),
            (one(BooleanFilters=[{"FieldName": "vulnerabilities.is_fix_available", "Filter": {"Value": True}}]), [v3]),
            (one(BooleanFilters=[{"FieldName": "compliance.assessments.meets_criteria", "Filter": {"Value": False}}]),
             [c1, c4]),
            (one(MapFilters=[{"FieldName": "resources.tags",
                              "Filter": {"Key": "env", "Value": "prod", "Comparison": "EQUALS"}}]), [c1, d2, c4]),
            (one(MapFilters=[{"FieldName": "resources.tags",
                              "Filter": {"Key": "team", "Value": "pay", "Comparison": "NOT_CONTAINS"}}]), [d2, v3]),
            (one(IpFilters=[{"FieldName": "evidences.src_endpoint.ip", "Filter": {"Cidr": "198.51.100.0/24"}}]), [d2]),
            ({"Filters": {"CompositeOperator": "OR", "CompositeFilters": [
                {"StringFilters": [sf("class_name", "Detection Finding")]},
                {"NumberFilters": [{"FieldName": "severity_id", "Filter": {"Lte": 2}}]}]}}, [d2, c4]),
            ({"Filters": {"CompositeOperator": "OR", "CompositeFilters": [{"Operator": "OR"}]}},
             [c1, d2, v3, c4]),  # empty conditions filter nothing out
            (one(StringFilters=[sf("class_name", "Compliance Finding")], NestedCompositeFilters=[
                {"Operator": "OR", "StringFilters": [sf("compliance.control", "IAM.1"), sf("severity", "Critical")]}]),
             [c4]),
        ]
        for request, expected in cases:
            with self.subTest(request=json.dumps(request)[:160]):
                self.assertEqual(sorted(self.uids(hub, **request)), sorted(expected))
        raw = self.client(validate=False)
        bad = [
            one(StringFilters=[sf("no.such.field", "x")]),
            one(StringFilters=[sf("severity", "x", "LIKE")]),
            one(NumberFilters=[{"FieldName": "severity", "Filter": {"Eq": 1}}]),  # a string field
            one(StringFilters=[sf("severity", "High")] * 21),
            {"Filters": {"CompositeFilters": [{}] * 11}},
            one(NestedCompositeFilters=[{"NestedCompositeFilters": [{}]}]),
            one(Operator="XOR"),
            {"SortCriteria": [{"Field": "nope", "SortOrder": "asc"}]},
            {"MaxResults": 101},
        ]
        for request in bad:
            with self.subTest(bad=json.dumps(request)[:160]), self.assertRaises(ClientError) as ctx:
                raw.get_findings_v2(**request)
            self.assert_error(ctx, "ValidationException", 400)

    def test_every_enum_field_is_a_path(self) -> None:
        model = botocore.session.get_session().get_service_model("securityhub")
        for shape in ("OcsfStringField", "OcsfDateField", "OcsfNumberField", "OcsfBooleanField",
                      "OcsfMapField", "OcsfIpField", "GroupByField"):
            for name in model.shape_for(shape).enum:
                self.assertRegex(name, r"^[a-z_]+(\.[a-z_]+)*$", name)  # dotted OCSF path

    def test_sort_and_paging(self) -> None:
        findings = [ocsf("detection", i, severity_id=1 + i % 5,
                         finding_info=dict(EXAMPLES["detection"]["finding_info"], uid=f"f-{i}",
                                           modified_time_dt=f"2025-06-01T{i // 60:02d}:{i % 60:02d}:00Z"))
                    for i in range(150)]
        hub = self.hub(findings)
        by_time = self.uids(hub, SortCriteria=[{"Field": "finding_info.modified_time_dt", "SortOrder": "desc"}],
                            MaxResults=40)
        self.assertEqual(by_time, [f["metadata"]["uid"] for f in reversed(findings)])
        page = hub.get_findings_v2(MaxResults=100)
        self.assertEqual(len(page["Findings"]), 100)
        with self.assertRaises(ClientError) as ctx:  # a token belongs to its query
            hub.get_findings_v2(NextToken=page["NextToken"], SortCriteria=[{"Field": "severity_id", "SortOrder": "asc"}])
        self.assert_error(ctx, "ValidationException", 400)
        by_sev = hub.get_findings_v2(SortCriteria=[{"Field": "severity_id", "SortOrder": "desc"},
                                                   {"Field": "finding_info.uid", "SortOrder": "asc"}],
                                     MaxResults=3)["Findings"]
        self.assertEqual([(f["severity_id"], f["finding_info"]["uid"]) for f in by_sev],
                         [(5, "f-104"), (5, "f-109"), (5, "f-114")])

    # ----------------------------------------------------------------- BatchUpdateFindingsV2
    def test_batch_update_findings_v2(self) -> None:
        c1, d2 = ocsf("compliance", 1), ocsf("detection", 2)
        hub = self.hub([c1, d2])
        before = {f["metadata"]["uid"]: f for f in hub.get_findings_v2()["Findings"]}
        result = hub.batch_update_findings_v2(MetadataUids=[c1["metadata"]["uid"], "nope", c1["metadata"]["uid"]],
                                              StatusId=4, SeverityId=2, Comment="fixed by SSM")
        self.assertEqual([p["MetadataUid"] for p in result["ProcessedFindings"]], [c1["metadata"]["uid"]])
        self.assertEqual(result["ProcessedFindings"][0]["FindingIdentifier"]["FindingInfoUid"],
                         c1["finding_info"]["uid"])
        self.assertEqual([(u["MetadataUid"], u["ErrorCode"]) for u in result["UnprocessedFindings"]],
                         [("nope", "ResourceNotFoundException"), (c1["metadata"]["uid"], "ValidationException")])
        after = {f["metadata"]["uid"]: f for f in hub.get_findings_v2()["Findings"]}
        updated = after[c1["metadata"]["uid"]]
        self.assertEqual((updated["status_id"], updated["status"], updated["severity_id"], updated["severity"],
                          updated["comment"]), (4, "Resolved", 2, "Low", "fixed by SSM"))
        old = before[c1["metadata"]["uid"]]
        for key in ("modified_time", "modified_time_dt"):
            self.assertEqual(updated["finding_info"][key], old["finding_info"][key])
        self.assertEqual((updated["time"], updated["time_dt"]), (old["time"], old["time_dt"]))
        ident = {"CloudAccountUid": ACCOUNT, "FindingInfoUid": d2["finding_info"]["uid"],
                 "MetadataProductUid": d2["metadata"]["product"]["uid"]}
        result = hub.batch_update_findings_v2(FindingIdentifiers=[ident, dict(ident, CloudAccountUid="999999999999")],
                                              StatusId=3)
        self.assertEqual(result["ProcessedFindings"][0]["FindingIdentifier"], ident)
        self.assertEqual(result["UnprocessedFindings"][0]["ErrorCode"], "ResourceNotFoundException")
        # the provider re-imports: its own fields change, the customer's stay
        self.load([dict(c1, finding_info=dict(c1["finding_info"], title="re-imported"))])
        again = {f["metadata"]["uid"]: f for f in hub.get_findings_v2()["Findings"]}[c1["metadata"]["uid"]]
        self.assertEqual((again["finding_info"]["title"], again["status_id"], again["comment"]),
                         ("re-imported", 4, "fixed by SSM"))
        raw = self.client(validate=False)
        for bad in ({"MetadataUids": ["a"]}, {"MetadataUids": ["a"], "StatusId": 6},
                    {"MetadataUids": ["a"], "SeverityId": 7}, {"MetadataUids": ["a"], "Comment": "x" * 513},
                    {"MetadataUids": ["a"], "FindingIdentifiers": [ident], "StatusId": 1},
                    {"MetadataUids": ["a"] * 101, "StatusId": 1}, {"StatusId": 1},
                    {"FindingIdentifiers": [{"CloudAccountUid": ACCOUNT}], "StatusId": 1}):
            with self.subTest(bad=bad), self.assertRaises(ClientError) as ctx:
                raw.batch_update_findings_v2(**bad)
            self.assert_error(ctx, "ValidationException", 400)

    def test_finding_statistics_v2(self) -> None:
        hub = self.hub([ocsf("compliance", 1), ocsf("compliance", 2), ocsf("detection", 3),
                        ocsf("vulnerability", 4)])
        result = hub.get_finding_statistics_v2(GroupByRules=[
            {"GroupByField": "severity"},
            {"GroupByField": "finding_info.types",
             "Filters": {"CompositeFilters": [{"StringFilters": [sf("class_name", "Compliance Finding", "NOT_EQUALS")]}]}}],
            SortOrder="desc")["GroupByResults"]
        self.assertEqual(result[0], {"GroupByField": "severity", "GroupByValues": [
            {"FieldValue": "High", "Count": 3}, {"FieldValue": "Critical", "Count": 1}]})
        self.assertEqual({v["FieldValue"]: v["Count"] for v in result[1]["GroupByValues"]},
                         {"Threats": 1, "AttackSequence:EC2/CompromisedInstanceGroup": 1,
                          "Software and Configuration Checks/Vulnerabilities/CVE": 1, "Vulnerabilities": 1})
        small = hub.get_finding_statistics_v2(GroupByRules=[{"GroupByField": "severity"}], SortOrder="asc",
                                              MaxStatisticResults=1)["GroupByResults"][0]["GroupByValues"]
        self.assertEqual(small, [{"FieldValue": "Critical", "Count": 1}])
        with self.assertRaises(ClientError) as ctx:
            self.client(validate=False).get_finding_statistics_v2(GroupByRules=[{"GroupByField": "nope"}])
        self.assert_error(ctx, "ValidationException", 400)


if __name__ == "__main__":
    unittest.main()
