"""Tests of the moto plugin server (hubble_moto.py) through boto3.

Run: python -m unittest discover -s tests/moto -p 'test_*.py' -v
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import unittest
import urllib.request

import boto3
from server_case import ServerTestCase
import botocore.session
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ACCOUNT = "123456789012"
REGION = "us-east-1"


def product_arn(account: str = DEFAULT_ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:securityhub:{region}:{account}:product/{account}/default"


def finding(i: int, account: str = DEFAULT_ACCOUNT, region: str = REGION, **extra) -> dict:
    """A minimal valid ASFF finding; keyword arguments replace top-level attributes."""
    data = {
        "SchemaVersion": "2018-10-08",
        "Id": f"finding-{i:04d}",
        "ProductArn": product_arn(account, region),
        "GeneratorId": f"generator-{i % 3}",
        "AwsAccountId": account,
        "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
        "CreatedAt": "2024-01-01T00:00:00.000Z",
        "UpdatedAt": f"2024-01-02T00:{i // 60 % 60:02d}:{i % 60:02d}.000Z",
        "Severity": {"Label": "LOW"},
        "Title": f"Finding number {i}",
        "Description": "Test finding",
        "Resources": [{"Type": "AwsS3Bucket", "Id": f"arn:aws:s3:::bucket-{i}"}],
    }
    data.update(extra)
    return data


class PluginServerTest(ServerTestCase):
    service = "securityhub"

    def setUp(self) -> None:
        self.http("POST", "/moto-api/reset")
        self.http("DELETE", "/_hubble/faults")

    # ----------------------------------------------------------------- helpers
    def hub(self, findings: list[dict], region: str = REGION, creds: dict | None = None):
        hub = self.client(region=region, creds=creds)
        hub.enable_security_hub()
        for start in range(0, len(findings), 100):
            result = hub.batch_import_findings(Findings=findings[start:start + 100])
            self.assertEqual(result["FailedCount"], 0, result["FailedFindings"])
        return hub

    def ids(self, hub, **kwargs) -> list[str]:
        found, token = [], None
        while True:
            page = hub.get_findings(**kwargs, **({"NextToken": token} if token else {}))
            found += [f["Id"] for f in page["Findings"]]
            token = page.get("NextToken")
            if not token:
                return found

    def assert_error(self, ctx, code: str, status: int) -> None:
        err = ctx.exception.response
        self.assertEqual(err["Error"]["Code"], code)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status)

    def all_ids(self, *numbers: int) -> list[str]:
        return [f"finding-{i:04d}" for i in numbers]

    # ----------------------------------------------------------------- access
    def test_get_findings_without_enable_is_invalid_access(self) -> None:
        with self.assertRaises(ClientError) as ctx:
            self.client().get_findings()
        self.assert_error(ctx, "InvalidAccessException", 401)
        self.assertIn(f"Account {DEFAULT_ACCOUNT} is not subscribed to AWS Security Hub",
                      ctx.exception.response["Error"]["Message"])
        self.hub([finding(1)])
        for call in (lambda c: c.get_findings(),
                     lambda c: c.batch_update_findings(
                         FindingIdentifiers=[{"Id": "a", "ProductArn": "b"}], Workflow={"Status": "NEW"})):
            with self.assertRaises(ClientError) as ctx:
                call(self.client(region="eu-west-1"))  # regions are separate hubs
            self.assert_error(ctx, "InvalidAccessException", 401)

    # ----------------------------------------------------------------- BatchUpdateFindings
    def test_batch_update_findings(self) -> None:
        hub = self.hub([finding(i, Severity={"Label": "LOW", "Normalized": 1}) for i in range(3)])
        before = {f["Id"]: f for f in hub.get_findings()["Findings"]}
        result = hub.batch_update_findings(
            FindingIdentifiers=[{"Id": "finding-0000", "ProductArn": product_arn()},
                                {"Id": "finding-0001", "ProductArn": product_arn()},
                                {"Id": "finding-0002", "ProductArn": "arn:aws:other"},
                                {"Id": "nope", "ProductArn": product_arn()}],
            Note={"Text": "triaged", "UpdatedBy": "alice"}, Workflow={"Status": "RESOLVED"},
            Severity={"Label": "CRITICAL"}, VerificationState="TRUE_POSITIVE", Confidence=80,
            Criticality=60, Types=["TTPs/Discovery"], UserDefinedFields={"ticket": "SEC-1"},
            RelatedFindings=[{"Id": "finding-0002", "ProductArn": product_arn()}])
        self.assertEqual(result["ProcessedFindings"],
                         [{"Id": f"finding-000{i}", "ProductArn": product_arn()} for i in (0, 1)])
        self.assertEqual([(u["FindingIdentifier"]["Id"], u["ErrorCode"], u["ErrorMessage"])
                          for u in result["UnprocessedFindings"]],
                         [("finding-0002", "FindingNotFound", "Finding Not Found"),
                          ("nope", "FindingNotFound", "Finding Not Found")])
        after = {f["Id"]: f for f in hub.get_findings()["Findings"]}
        updated = after["finding-0000"]
        self.assertEqual(updated["UpdatedAt"], before["finding-0000"]["UpdatedAt"])
        self.assertEqual(updated["Workflow"], {"Status": "RESOLVED"})
        self.assertEqual(updated["WorkflowState"], "RESOLVED")
        self.assertEqual(updated["Severity"]["Label"], "CRITICAL")
        self.assertEqual(updated["Severity"]["Normalized"], 90)
        self.assertEqual((updated["VerificationState"], updated["Confidence"], updated["Criticality"]),
                         ("TRUE_POSITIVE", 80, 60))
        self.assertEqual(updated["Types"], ["TTPs/Discovery"])
        self.assertEqual(updated["UserDefinedFields"], {"ticket": "SEC-1"})
        self.assertEqual(updated["RelatedFindings"][0]["Id"], "finding-0002")
        self.assertEqual((updated["Note"]["Text"], updated["Note"]["UpdatedBy"]), ("triaged", "alice"))
        note_at = dt.datetime.fromisoformat(updated["Note"]["UpdatedAt"])
        self.assertLess(abs(dt.datetime.now(dt.timezone.utc) - note_at), dt.timedelta(minutes=1))
        self.assertEqual(after["finding-0002"], before["finding-0002"])

    def test_batch_update_validation(self) -> None:
        hub = self.hub([finding(1)])
        ident = {"Id": "finding-0001", "ProductArn": product_arn()}
        bad_requests = [
            {"FindingIdentifiers": [ident] * 101, "Workflow": {"Status": "NEW"}},
            {"FindingIdentifiers": [], "Workflow": {"Status": "NEW"}},
            {"FindingIdentifiers": [ident], "Note": {"Text": "x" * 513, "UpdatedBy": "me"}},
            {"FindingIdentifiers": [ident], "Note": {"Text": "ok", "UpdatedBy": "u" * 129}},
            {"FindingIdentifiers": [ident], "Confidence": 101},
            {"FindingIdentifiers": [ident], "Workflow": {"Status": "DONE"}},
            {"FindingIdentifiers": [ident], "Severity": {"Label": "SEVERE"}},
        ]
        raw = self.client(validate=False)
        for request in bad_requests:
            with self.subTest(request=str(request)[:80]), self.assertRaises(ClientError) as ctx:
                raw.batch_update_findings(**request)
            self.assert_error(ctx, "InvalidInputException", 400)
        ok = hub.batch_update_findings(FindingIdentifiers=[ident] * 2,
                                       Note={"Text": "x" * 512, "UpdatedBy": "u" * 128})
        self.assertEqual(len(ok["ProcessedFindings"]), 1)
        self.assertEqual(ok["UnprocessedFindings"][0]["ErrorCode"], "DuplicatedFindingIdentifier")

    def test_reimport_keeps_customer_fields(self) -> None:
        hub = self.hub([finding(1), finding(2)])
        hub.batch_update_findings(FindingIdentifiers=[{"Id": "finding-0001", "ProductArn": product_arn()}],
                                  Note={"Text": "mine", "UpdatedBy": "me"}, Workflow={"Status": "NOTIFIED"},
                                  Severity={"Label": "HIGH"})
        hub.batch_import_findings(Findings=[finding(1, Title="renamed", Severity={"Label": "LOW"},
                                                    Workflow={"Status": "NEW"})])
        got = hub.get_findings(Filters={"Id": [{"Value": "finding-0001", "Comparison": "EQUALS"}]})
        f = got["Findings"][0]
        self.assertEqual((f["Title"], f["Note"]["Text"], f["Workflow"]["Status"], f["Severity"]["Label"]),
                         ("renamed", "mine", "NOTIFIED", "HIGH"))
        self.assertEqual(len(hub.get_findings()["Findings"]), 2)
        # A resolved finding that comes back (ARCHIVED -> ACTIVE) is NEW again.
        hub.batch_update_findings(FindingIdentifiers=[{"Id": "finding-0002", "ProductArn": product_arn()}],
                                  Workflow={"Status": "RESOLVED"})
        for state in ("ARCHIVED", "ACTIVE"):
            hub.batch_import_findings(Findings=[finding(2, RecordState=state)])
            status = hub.get_findings(Filters={"Id": [{"Value": "finding-0002", "Comparison": "EQUALS"}]})
            status = status["Findings"][0]["Workflow"]["Status"]
            self.assertEqual(status, "RESOLVED" if state == "ARCHIVED" else "NEW")

    # ----------------------------------------------------------------- filters
    def test_string_filters(self) -> None:
        hub = self.hub([
            finding(1, Title="S3 bucket is public", Severity={"Label": "HIGH"}),
            finding(2, Title="S3 bucket logging off", Severity={"Label": "LOW"}),
            finding(3, Title="EC2 instance open", Severity={"Label": "CRITICAL"},
                    Resources=[{"Type": "AwsEc2Instance", "Id": "i-1"},
                               {"Type": "AwsIamRole", "Id": "r-1"}]),
            finding(4, Title="IAM policy too wide", Severity={"Label": "MEDIUM"},
                    Compliance={"Status": "FAILED", "SecurityControlId": "IAM.1"}),
        ])

        def f(field, *pairs):
            return {"Filters": {field: [{"Value": v, "Comparison": c} for c, v in pairs]}}
        cases = [
            (f("SeverityLabel", ("EQUALS", "HIGH")), [1]),
            (f("SeverityLabel", ("EQUALS", "HIGH"), ("EQUALS", "CRITICAL")), [1, 3]),  # OR
            (f("Title", ("PREFIX", "S3 ")), [1, 2]),
            (f("Title", ("CONTAINS", "open"), ("CONTAINS", "wide")), [3, 4]),
            (f("SeverityLabel", ("NOT_EQUALS", "LOW")), [1, 3, 4]),
            (f("SeverityLabel", ("NOT_EQUALS", "LOW"), ("NOT_EQUALS", "HIGH")), [3, 4]),  # AND
            (f("Title", ("PREFIX_NOT_EQUALS", "S3")), [3, 4]),
            (f("Title", ("NOT_CONTAINS", "bucket"), ("NOT_CONTAINS", "IAM")), [3]),
            (f("Title", ("PREFIX", "S3"), ("NOT_EQUALS", "S3 bucket is public")), [2]),
            (f("ResourceType", ("EQUALS", "AwsIamRole")), [3]),  # any element of Resources[]
            (f("ResourceType", ("NOT_EQUALS", "AwsIamRole")), [1, 2, 4]),
            (f("ResourceId", ("PREFIX", "arn:aws:s3:::")), [1, 2, 4]),
            (f("ComplianceSecurityControlId", ("EQUALS", "IAM.1")), [4]),
            (f("ComplianceStatus", ("NOT_EQUALS", "FAILED")), [1, 2, 3]),
            (f("WorkflowStatus", ("EQUALS", "NEW")), [1, 2, 3, 4]),  # defaulted on import
            (f("RecordState", ("EQUALS", "ACTIVE")), [1, 2, 3, 4]),
            (f("Region", ("EQUALS", REGION)), [1, 2, 3, 4]),
            (f("AwsAccountId", ("EQUALS", "999999999999")), []),
            ({"Filters": {"Title": [{"Value": "S3", "Comparison": "PREFIX"}],
                          "SeverityLabel": [{"Value": "LOW", "Comparison": "EQUALS"}]}}, [2]),  # AND
        ]
        for request, expected in cases:
            with self.subTest(request=request):
                self.assertEqual(sorted(self.ids(hub, **request)), self.all_ids(*expected))
        for bad in (f("Title", ("EQUALS", "a"), ("NOT_EQUALS", "b")),
                    f("Title", ("CONTAINS", "a"), ("NOT_CONTAINS", "b")),
                    {"Filters": {f"Title": [{"Value": str(i), "Comparison": "EQUALS"} for i in range(21)]}}):
            with self.subTest(bad=bad), self.assertRaises(ClientError) as ctx:
                hub.get_findings(**bad)
            self.assert_error(ctx, "InvalidInputException", 400)

    def test_number_date_boolean_map_ip_filters(self) -> None:
        now = dt.datetime.now(dt.timezone.utc)
        recent = (now - dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        hub = self.hub([
            finding(1, Severity={"Normalized": 10}, Confidence=10, Sample=True,
                    UpdatedAt="2024-03-01T10:00:00+02:00", LastObservedAt=recent,
                    UserDefinedFields={"team": "red"}, Network={"SourceIpV4": "10.0.0.5"}),
            finding(2, Severity={"Normalized": 40}, Confidence=50, Sample=False,
                    UpdatedAt="2024-03-01T09:00:00Z", LastObservedAt="2020-01-01T00:00:00Z",
                    Resources=[{"Type": "AwsS3Bucket", "Id": "b", "Tags": {"env": "prod-eu"}}],
                    Network={"SourceIpV4": "192.168.1.7"}),
            finding(3, Severity={"Normalized": 95}, Confidence=90,
                    UpdatedAt="2024-03-02T00:00:00.123456789Z",
                    Resources=[{"Type": "AwsS3Bucket", "Id": "c", "Tags": {"env": "dev"}}]),
        ])
        cases = [
            ({"SeverityNormalized": [{"Gte": 40}]}, [2, 3]),
            ({"SeverityNormalized": [{"Gt": 40}]}, [3]),
            ({"SeverityNormalized": [{"Lte": 40}]}, [1, 2]),
            ({"SeverityNormalized": [{"Lt": 40}]}, [1]),
            ({"Confidence": [{"Eq": 50}]}, [2]),
            ({"Confidence": [{"Gte": 20, "Lte": 60}]}, [2]),
            ({"Confidence": [{"Lt": 20}, {"Gt": 80}]}, [1, 3]),  # entries are OR-ed
            ({"SeverityLabel": [{"Value": "MEDIUM", "Comparison": "EQUALS"}]}, [2]),  # derived
            # 2024-03-01T10:00+02:00 is 08:00Z: before finding 2's 09:00Z
            ({"UpdatedAt": [{"Start": "2024-03-01T08:30:00Z"}]}, [2, 3]),
            ({"UpdatedAt": [{"End": "2024-03-01T08:00:00Z"}]}, [1]),
            ({"UpdatedAt": [{"Start": "2024-03-01T10:00:00+01:00", "End": "2024-03-01T21:00:00-02:00"}]}, [2]),
            ({"LastObservedAt": [{"DateRange": {"Value": 7, "Unit": "DAYS"}}]}, [1]),
            ({"LastObservedAt": [{"DateRange": {"Value": 7, "Unit": "DAYS", "Comparison": "OLDER_THAN"}}]}, [2]),
            ({"Sample": [{"Value": True}]}, [1]),
            ({"Sample": [{"Value": False}]}, [2]),
            ({"UserDefinedFields": [{"Key": "team", "Value": "red", "Comparison": "EQUALS"}]}, [1]),
            ({"ResourceTags": [{"Key": "env", "Value": "prod", "Comparison": "CONTAINS"}]}, [2]),
            ({"ResourceTags": [{"Key": "env", "Value": "dev", "Comparison": "NOT_EQUALS"}]}, [1, 2]),
            ({"NetworkSourceIpV4": [{"Cidr": "10.0.0.0/8"}]}, [1]),
            ({"NetworkSourceIpV4": [{"Cidr": "10.0.0.0/8"}, {"Cidr": "192.168.0.0/16"}]}, [1, 2]),
        ]
        for filters, expected in cases:
            with self.subTest(filters=filters):
                self.assertEqual(sorted(self.ids(hub, Filters=filters)), self.all_ids(*expected))

    def test_every_filter_field_maps_to_an_asff_path(self) -> None:
        sys.path.insert(0, HERE)
        import hubble_securityhub as plugin
        model = botocore.session.get_session().get_service_model("securityhub")
        filters = model.shape_for("AwsSecurityFindingFilters").members
        self.assertEqual(set(filters) - set(plugin.FIELD_PATHS), {"Keyword"})  # deprecated
        for name, path in plugin.FIELD_PATHS.items():
            shape = model.shape_for("AwsSecurityFinding")
            for part in path:
                while shape.type_name == "list":
                    shape = shape.member
                self.assertIn(part, getattr(shape, "members", {}), f"{name} -> {path}")
                shape = shape.members[part]

    # ----------------------------------------------------------------- sorting and paging
    def test_sort_criteria(self) -> None:
        hub = self.hub([
            finding(1, Severity={"Label": "HIGH"}, UpdatedAt="2024-05-01T12:00:00+05:00", Title="b"),
            finding(2, Severity={"Label": "LOW"}, UpdatedAt="2024-05-01T08:00:00Z", Title="a"),
            finding(3, Severity={"Label": "CRITICAL"}, UpdatedAt="2024-05-01T07:30:00.5-01:00", Title="c"),
            finding(4, Severity={"Label": "LOW"}, UpdatedAt="2024-04-30T23:59:59Z", Title="d"),
        ])
        # Instants: 1 = 07:00Z, 2 = 08:00Z, 3 = 08:30:00.5Z, 4 = previous day.
        cases = [
            ([{"Field": "UpdatedAt", "SortOrder": "asc"}], [4, 1, 2, 3]),
            ([{"Field": "UpdatedAt", "SortOrder": "desc"}], [3, 2, 1, 4]),
            ([{"Field": "SeverityNormalized", "SortOrder": "desc"}, {"Field": "Title", "SortOrder": "desc"}],
             [3, 1, 4, 2]),
            ([{"Field": "SeverityLabel", "SortOrder": "asc"}, {"Field": "UpdatedAt", "SortOrder": "asc"}],
             [3, 1, 4, 2]),
            ([{"Field": "Title", "SortOrder": "asc"}], [2, 1, 3, 4]),
        ]
        for criteria, expected in cases:
            with self.subTest(criteria=criteria):
                self.assertEqual(self.ids(hub, SortCriteria=criteria), self.all_ids(*expected))
        with self.assertRaises(ClientError) as ctx:
            hub.get_findings(SortCriteria=[{"Field": "NoSuchField", "SortOrder": "asc"}])
        self.assert_error(ctx, "InvalidInputException", 400)

    def test_paging_through_filtered_sorted_findings(self) -> None:
        hub = self.hub([finding(i, Severity={"Label": "HIGH" if i % 8 < 5 else "LOW"})
                        for i in range(400)])  # 250 HIGH
        request = {"Filters": {"SeverityLabel": [{"Value": "HIGH", "Comparison": "EQUALS"}]},
                   "SortCriteria": [{"Field": "UpdatedAt", "SortOrder": "desc"}]}
        sizes, ids, token = [], [], None
        while True:
            page = hub.get_findings(**request, MaxResults=100, **({"NextToken": token} if token else {}))
            sizes.append(len(page["Findings"]))
            ids += [f["Id"] for f in page["Findings"]]
            token = page.get("NextToken")
            if not token:
                break
            second_token = token
        self.assertEqual(sizes, [100, 100, 50])
        self.assertEqual(ids, self.all_ids(*sorted((i for i in range(400) if i % 8 < 5), reverse=True)))
        self.assertEqual(len(self.ids(hub, MaxResults=7)), 400)  # default order, small pages
        with self.assertRaises(ClientError) as ctx:  # a token only fits its own query
            hub.get_findings(NextToken=second_token)
        self.assert_error(ctx, "InvalidInputException", 400)
        for bad in (0, 101):
            with self.assertRaises(ClientError) as ctx:
                self.client(validate=False).get_findings(MaxResults=bad)
            self.assert_error(ctx, "InvalidInputException", 400)

    # ----------------------------------------------------------------- faults and accounts
    def test_fault_endpoint(self) -> None:
        hub = self.hub([finding(1)])
        status, body = self.http("POST", "/_hubble/faults", {
            "operation": "GetFindings", "account": DEFAULT_ACCOUNT, "region": REGION,
            "error": "ThrottlingException", "status": 429, "count": 2})
        self.assertEqual(status, 200, body)
        self.hub([], region="eu-west-1").get_findings()  # other region: no fault
        for _ in range(2):
            with self.assertRaises(ClientError) as ctx:
                hub.get_findings()
            self.assert_error(ctx, "ThrottlingException", 429)
            headers = ctx.exception.response["ResponseMetadata"]["HTTPHeaders"]
            self.assertEqual(headers["x-amzn-errortype"], "ThrottlingException")
        self.assertEqual(len(hub.get_findings()["Findings"]), 1)  # count used up
        self.assertEqual(self.http("GET", "/_hubble/faults"), (200, {"faults": []}))

        self.http("POST", "/_hubble/faults", {"operation": "BatchUpdateFindings",
                                              "error": "InternalException", "count": 5})
        with self.assertRaises(ClientError) as ctx:
            hub.batch_update_findings(FindingIdentifiers=[{"Id": "finding-0001", "ProductArn": product_arn()}],
                                      Workflow={"Status": "NOTIFIED"})
        self.assert_error(ctx, "InternalException", 500)
        self.assertEqual(self.http("GET", "/_hubble/faults")[1]["faults"][0]["count"], 4)
        self.assertEqual(self.http("DELETE", "/_hubble/faults"), (200, {"cleared": 1}))
        hub.batch_update_findings(FindingIdentifiers=[{"Id": "finding-0001", "ProductArn": product_arn()}],
                                  Workflow={"Status": "NOTIFIED"})
        self.assertEqual(self.http("POST", "/_hubble/faults", {"operation": "GetFindings"})[0], 400)

    def test_assumed_role_accounts_are_separate(self) -> None:
        sts = self.client("sts")
        self.assertEqual(sts.get_caller_identity()["Account"], DEFAULT_ACCOUNT)
        role = sts.assume_role(RoleArn="arn:aws:iam::222222222222:role/hubble-reader",
                               RoleSessionName="hubble-test")["Credentials"]
        self.assertEqual(self.client("sts", creds=role).get_caller_identity()["Account"], "222222222222")

        mine = self.hub([finding(1), finding(2)])
        theirs = self.hub([finding(7, account="222222222222")], creds=role)
        self.assertEqual(sorted(self.ids(mine)), self.all_ids(1, 2))
        self.assertEqual(self.ids(theirs), self.all_ids(7))
        result = theirs.batch_update_findings(
            FindingIdentifiers=[{"Id": "finding-0001", "ProductArn": product_arn()}],
            Workflow={"Status": "SUPPRESSED"})
        self.assertEqual(result["UnprocessedFindings"][0]["ErrorCode"], "FindingNotFound")

        self.http("POST", "/_hubble/faults", {"operation": "GetFindings", "account": "222222222222",
                                              "error": "ThrottlingException"})
        self.assertEqual(len(mine.get_findings()["Findings"]), 2)  # fault is for the other account
        with self.assertRaises(ClientError) as ctx:
            theirs.get_findings()
        self.assert_error(ctx, "ThrottlingException", 429)


if __name__ == "__main__":
    unittest.main()
