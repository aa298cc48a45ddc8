"""Tests of the standards and controls plugin (hubble_standards.py) of the moto plugin server.

Run: python -m unittest discover -s tests/moto -p 'test_*.py' -v
"""

from __future__ import annotations

import json
import os
import unittest
import urllib.request

import boto3
from server_case import ServerTestCase
import botocore.session
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
REGION = "us-east-1"
DEFAULT_ACCOUNT = "123456789012"
OTHER_ACCOUNT = "222222222222"
MODEL = botocore.session.get_session().get_service_model("securityhub")
with open(os.path.join(HERE, "standards.json")) as _f:
    TABLE = json.load(_f)


def arn(key: str, region: str = REGION) -> str:
    return next(s["arn"] for s in TABLE["standards"] if s["key"] == key).format(region=region)


FSBP, CIS12, CIS14, PCI321, NIST = (arn("fsbp"), arn("cis-1.2"), arn("cis-1.4"), arn("pci-3.2.1"),
                                    arn("nist-800-53"))


def in_standard(key: str) -> set[str]:
    return {c["id"] for c in TABLE["controls"] if key in c["standards"]}


class StandardsPluginTest(ServerTestCase):
    service = "securityhub"

    def setUp(self) -> None:
        self.http("POST", "/moto-api/reset")
        self.http("DELETE", "/_hubble/standards/paging")

    def other_account(self) -> dict:
        sts = self.client(service="sts")
        return sts.assume_role(RoleArn=f"arn:aws:iam::{OTHER_ACCOUNT}:role/hubble-reader",
                               RoleSessionName="hubble-test")["Credentials"]

    def hub(self, **kwargs):
        hub = self.client(**kwargs)
        hub.enable_security_hub()
        return hub

    def assert_error(self, ctx, code: str, status: int) -> None:
        err = ctx.exception.response
        self.assertEqual(err["Error"]["Code"], code, err)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status)

    def assert_shape(self, operation: str, response: dict) -> None:
        """Every member the model marks required is present, recursively."""
        def check(shape, value, where: str) -> None:
            if shape.type_name == "structure":
                for name in shape.required_members:
                    self.assertIn(name, value, f"{operation}: {where}.{name} missing")
                for name, member in shape.members.items():
                    if name in value:
                        check(member, value[name], f"{where}.{name}")
            elif shape.type_name == "list":
                for i, item in enumerate(value):
                    check(shape.member, item, f"{where}[{i}]")
        check(MODEL.operation_model(operation).output_shape, response, operation)

    def paged(self, call, key: str, **kwargs) -> tuple[list, int]:
        items, pages, token = [], 0, None
        while True:
            page = call(**kwargs, **({"NextToken": token} if token else {}))
            items += page[key]
            pages += 1
            token = page.get("NextToken")
            if not token:
                return items, pages

    def subscription(self, hub, standards_arn: str) -> str:
        subs = hub.get_enabled_standards()["StandardsSubscriptions"]
        return next(s["StandardsSubscriptionArn"] for s in subs if s["StandardsArn"] == standards_arn)

    def controls(self, hub, standards_arn: str, **kwargs) -> list[dict]:
        sub = self.subscription(hub, standards_arn)
        return self.paged(hub.describe_standards_controls, "Controls", StandardsSubscriptionArn=sub,
                          **kwargs)[0]

    # ----------------------------------------------------------------- data table
    def test_table_is_consistent(self) -> None:
        keys = {s["key"] for s in TABLE["standards"]}
        severities = set(MODEL.shape_for("SeverityRating").enum)
        seen = set()
        self.assertGreaterEqual(len(TABLE["controls"]), 30)
        for c in TABLE["controls"]:
            self.assertIn(c["severity"], severities, c["id"])
            self.assertTrue(c["title"] and c["description"], c["id"])
            self.assertTrue(c["standards"] and set(c["standards"]) <= keys, c["id"])
            for key, entry in c["standards"].items():
                pair = (key, entry.get("id", c["id"]))
                self.assertNotIn(pair, seen, "standard control ids must be unique per standard")
                seen.add(pair)
        facts = {c["id"]: c for c in TABLE["controls"]}
        self.assertEqual(facts["S3.8"]["severity"], "HIGH")
        self.assertEqual(facts["S3.8"]["standards"]["cis-1.4"], {"id": "2.1.5.2", "req": ["2.1.5"]})
        self.assertNotIn("fsbp", facts["KMS.4"]["standards"])
        self.assertEqual(set(facts["SNS.1"]["standards"]), {"nist-800-53"})
        self.assertEqual(facts["IAM.4"]["standards"]["pci-3.2.1"]["id"], "PCI.IAM.1")

    # ----------------------------------------------------------------- access
    def test_every_operation_needs_an_enabled_hub(self) -> None:
        hub = self.client()
        calls = {
            "GetEnabledStandards": lambda: hub.get_enabled_standards(),
            "DescribeStandards": lambda: hub.describe_standards(),
            "BatchEnableStandards": lambda: hub.batch_enable_standards(
                StandardsSubscriptionRequests=[{"StandardsArn": NIST}]),
            "BatchDisableStandards": lambda: hub.batch_disable_standards(
                StandardsSubscriptionArns=["arn:aws:securityhub:us-east-1:123456789012:subscription/x"]),
            "DescribeStandardsControls": lambda: hub.describe_standards_controls(
                StandardsSubscriptionArn="arn:aws:securityhub:us-east-1:123456789012:subscription/x"),
            "UpdateStandardsControl": lambda: hub.update_standards_control(
                StandardsControlArn="arn:aws:securityhub:us-east-1:123456789012:control/x/1",
                ControlStatus="ENABLED"),
            "ListSecurityControlDefinitions": lambda: hub.list_security_control_definitions(),
            "ListStandardsControlAssociations": lambda: hub.list_standards_control_associations(
                SecurityControlId="S3.8"),
        }
        for name, call in calls.items():
            with self.subTest(name), self.assertRaises(ClientError) as ctx:
                call()
            self.assert_error(ctx, "InvalidAccessException", 401)

    # ----------------------------------------------------------------- standards
    def test_enable_security_hub_subscribes_the_default_standards(self) -> None:
        hub = self.hub()
        out = hub.get_enabled_standards()
        self.assert_shape("GetEnabledStandards", out)
        subs = out["StandardsSubscriptions"]
        self.assertEqual([s["StandardsArn"] for s in subs], [FSBP, CIS12])
        self.assertEqual({s["StandardsStatus"] for s in subs}, {"READY"})
        self.assertEqual(subs[0]["StandardsSubscriptionArn"],
                         f"arn:aws:securityhub:{REGION}:{DEFAULT_ACCOUNT}:subscription/"
                         "aws-foundational-security-best-practices/v/1.0.0")
        self.assertEqual(subs[1]["StandardsSubscriptionArn"],
                         f"arn:aws:securityhub:{REGION}:{DEFAULT_ACCOUNT}:subscription/"
                         "cis-aws-foundations-benchmark/v/1.2.0")
        self.assertNotIn("NextToken", out)

    def test_enable_without_default_standards(self) -> None:
        hub = self.client()
        hub.enable_security_hub(EnableDefaultStandards=False, ControlFindingGenerator="STANDARD_CONTROL")
        self.assertEqual(hub.get_enabled_standards()["StandardsSubscriptions"], [])
        self.assertEqual(hub.describe_hub()["ControlFindingGenerator"], "STANDARD_CONTROL")

    def test_batch_enable_and_disable(self) -> None:
        hub = self.hub()
        out = hub.batch_enable_standards(StandardsSubscriptionRequests=[
            {"StandardsArn": PCI321}, {"StandardsArn": NIST, "StandardsInput": {"k": "v"}}])
        self.assert_shape("BatchEnableStandards", out)
        self.assertEqual([s["StandardsStatus"] for s in out["StandardsSubscriptions"]],
                         ["PENDING", "PENDING"])
        subs = hub.get_enabled_standards()["StandardsSubscriptions"]
        self.assertEqual([s["StandardsArn"] for s in subs], [FSBP, CIS12, PCI321, NIST])
        self.assertEqual(subs[3]["StandardsInput"], {"k": "v"})
        again = hub.batch_enable_standards(StandardsSubscriptionRequests=[{"StandardsArn": NIST}])
        self.assertEqual(again["StandardsSubscriptions"][0]["StandardsStatus"], "READY")
        self.assertEqual(len(hub.get_enabled_standards()["StandardsSubscriptions"]), 4)

        gone = hub.batch_disable_standards(StandardsSubscriptionArns=[subs[2]["StandardsSubscriptionArn"]])
        self.assert_shape("BatchDisableStandards", gone)
        self.assertEqual(gone["StandardsSubscriptions"][0]["StandardsStatus"], "DELETING")
        left = hub.get_enabled_standards()["StandardsSubscriptions"]
        self.assertEqual([s["StandardsArn"] for s in left], [FSBP, CIS12, NIST])
        with self.assertRaises(ClientError) as ctx:
            hub.batch_disable_standards(StandardsSubscriptionArns=[subs[2]["StandardsSubscriptionArn"]])
        self.assert_error(ctx, "InvalidInputException", 400)

    def test_batch_enable_rejects_unknown_standards_and_bad_input(self) -> None:
        hub = self.hub()
        bad = ["arn:aws:securityhub:us-east-1::standards/no-such-standard/v/1.0.0",
               arn("pci-3.2.1", "eu-west-1")]  # a standard of another Region
        for standards_arn in bad:
            with self.subTest(standards_arn), self.assertRaises(ClientError) as ctx:
                hub.batch_enable_standards(StandardsSubscriptionRequests=[{"StandardsArn": standards_arn}])
            self.assert_error(ctx, "InvalidInputException", 400)
        raw = self.client(validate=False)
        for requests in ([], [{"StandardsArn": NIST}] * 26, [{}]):
            with self.assertRaises(ClientError) as ctx:
                raw.batch_enable_standards(StandardsSubscriptionRequests=requests)
            self.assert_error(ctx, "InvalidInputException", 400)
        self.assertEqual(len(hub.get_enabled_standards()["StandardsSubscriptions"]), 2)

    def test_get_enabled_standards_pages_and_filters(self) -> None:
        hub = self.hub()
        hub.batch_enable_standards(StandardsSubscriptionRequests=[{"StandardsArn": a} for a in (CIS14, NIST)])
        subs, pages = self.paged(hub.get_enabled_standards, "StandardsSubscriptions", MaxResults=1)
        self.assertEqual(([s["StandardsArn"] for s in subs], pages), ([FSBP, CIS12, CIS14, NIST], 4))
        wanted = [subs[1]["StandardsSubscriptionArn"], subs[3]["StandardsSubscriptionArn"]]
        only = hub.get_enabled_standards(StandardsSubscriptionArns=wanted)["StandardsSubscriptions"]
        self.assertEqual([s["StandardsArn"] for s in only], [CIS12, NIST])
        token = hub.get_enabled_standards(MaxResults=1)["NextToken"]
        raw = self.client(validate=False)
        for kwargs in ({"NextToken": "garbage"}, {"MaxResults": 0}, {"MaxResults": 101},
                       {"StandardsSubscriptionArns": wanted, "NextToken": token}):
            with self.subTest(kwargs), self.assertRaises(ClientError) as ctx:
                raw.get_enabled_standards(**kwargs)
            self.assert_error(ctx, "InvalidInputException", 400)

    def test_describe_standards_lists_the_catalogue(self) -> None:
        hub = self.hub(region="eu-west-1")
        out = hub.describe_standards()
        self.assert_shape("DescribeStandards", out)
        found = {s["StandardsArn"]: s for s in out["Standards"]}
        self.assertEqual(len(found), len(TABLE["standards"]))
        fsbp = found[arn("fsbp", "eu-west-1")]
        self.assertEqual(fsbp["Name"], "AWS Foundational Security Best Practices v1.0.0")
        self.assertTrue(fsbp["EnabledByDefault"])
        self.assertTrue(found[CIS12]["EnabledByDefault"])
        self.assertFalse(found[arn("pci-4.0.1", "eu-west-1")]["EnabledByDefault"])
        paged, pages = self.paged(hub.describe_standards, "Standards", MaxResults=3)
        self.assertEqual((paged, pages), (out["Standards"], 3))

    # ----------------------------------------------------------------- per-standard controls
    def test_describe_standards_controls(self) -> None:
        hub = self.hub()
        hub.batch_enable_standards(
            StandardsSubscriptionRequests=[{"StandardsArn": a} for a in (CIS14, PCI321)])
        sub = self.subscription(hub, FSBP)
        first = hub.describe_standards_controls(StandardsSubscriptionArn=sub, MaxResults=5)
        self.assert_shape("DescribeStandardsControls", first)
        self.assertEqual(len(first["Controls"]), 5)
        fsbp = self.controls(hub, FSBP, MaxResults=7)
        self.assertEqual({c["ControlId"] for c in fsbp}, in_standard("fsbp"))
        s38 = next(c for c in fsbp if c["ControlId"] == "S3.8")
        self.assertEqual((s38["Title"], s38["SeverityRating"], s38["ControlStatus"]),
                         ("S3 general purpose buckets should block public access", "HIGH", "ENABLED"))
        self.assertEqual(s38["StandardsControlArn"],
                         f"arn:aws:securityhub:{REGION}:{DEFAULT_ACCOUNT}:control/"
                         "aws-foundational-security-best-practices/v/1.0.0/S3.8")
        self.assertEqual(s38["RemediationUrl"],
                         "https://docs.aws.amazon.com/console/securityhub/S3.8/remediation")
        cis = {c["ControlId"]: c for c in self.controls(hub, CIS14)}
        self.assertEqual(cis["2.1.5.2"]["Title"], s38["Title"])
        self.assertEqual(cis["2.1.5.2"]["RelatedRequirements"],
                         ["CIS AWS Foundations Benchmark v1.4.0/2.1.5"])
        pci = {c["ControlId"]: c for c in self.controls(hub, PCI321)}
        self.assertEqual(pci["PCI.IAM.1"]["Title"], "IAM root user access key should not exist")
        self.assertEqual(pci["PCI.IAM.1"]["SeverityRating"], "CRITICAL")

    def test_describe_standards_controls_of_unknown_or_foreign_subscription(self) -> None:
        mine = self.hub()
        theirs = self.hub(creds=self.other_account())
        foreign = self.subscription(theirs, FSBP)
        for sub in (foreign, self.subscription(mine, FSBP).replace("1.0.0", "9.9.9")):
            with self.subTest(sub), self.assertRaises(ClientError) as ctx:
                mine.describe_standards_controls(StandardsSubscriptionArn=sub)
            self.assert_error(ctx, "ResourceNotFoundException", 404)

    def test_update_standards_control_disables_in_one_standard(self) -> None:
        hub = self.hub()
        hub.batch_enable_standards(StandardsSubscriptionRequests=[{"StandardsArn": CIS14}])
        s38 = next(c for c in self.controls(hub, FSBP) if c["ControlId"] == "S3.8")
        hub.update_standards_control(StandardsControlArn=s38["StandardsControlArn"],
                                     ControlStatus="DISABLED", DisabledReason="Buckets are private by SCP")
        after = next(c for c in self.controls(hub, FSBP) if c["ControlId"] == "S3.8")
        self.assertEqual((after["ControlStatus"], after["DisabledReason"]),
                         ("DISABLED", "Buckets are private by SCP"))
        self.assertGreaterEqual(after["ControlStatusUpdatedAt"], s38["ControlStatusUpdatedAt"])
        assoc = {a["StandardsArn"]: a for a in hub.list_standards_control_associations(
            SecurityControlId="S3.8")["StandardsControlAssociationSummaries"]}
        self.assertEqual((assoc[FSBP]["AssociationStatus"], assoc[FSBP]["UpdatedReason"]),
                         ("DISABLED", "Buckets are private by SCP"))
        self.assertEqual(assoc[CIS14]["AssociationStatus"], "ENABLED")
        hub.update_standards_control(StandardsControlArn=s38["StandardsControlArn"], ControlStatus="ENABLED")
        again = next(c for c in self.controls(hub, FSBP) if c["ControlId"] == "S3.8")
        self.assertEqual(again["ControlStatus"], "ENABLED")
        self.assertNotIn("DisabledReason", again)

    def test_update_standards_control_errors(self) -> None:
        hub = self.hub()
        s38 = next(c for c in self.controls(hub, FSBP) if c["ControlId"] == "S3.8")
        with self.assertRaises(ClientError) as ctx:
            hub.update_standards_control(StandardsControlArn=s38["StandardsControlArn"],
                                         ControlStatus="DISABLED")
        self.assert_error(ctx, "InvalidInputException", 400)
        for control_arn in (s38["StandardsControlArn"].replace("S3.8", "S3.99"),
                            s38["StandardsControlArn"].replace(DEFAULT_ACCOUNT, OTHER_ACCOUNT),
                            s38["StandardsControlArn"].replace("aws-foundational-security-best-practices",
                                                               "pci-dss").replace("1.0.0", "3.2.1")):
            with self.subTest(control_arn), self.assertRaises(ClientError) as ctx:
                hub.update_standards_control(StandardsControlArn=control_arn, ControlStatus="ENABLED")
            self.assert_error(ctx, "ResourceNotFoundException", 404)

    def test_disabling_a_standard_forgets_its_control_states(self) -> None:
        hub = self.hub()
        ctl = next(c for c in self.controls(hub, CIS12) if c["ControlId"] == "2.1")
        hub.update_standards_control(StandardsControlArn=ctl["StandardsControlArn"],
                                     ControlStatus="DISABLED", DisabledReason="organization trail")
        hub.batch_disable_standards(StandardsSubscriptionArns=[self.subscription(hub, CIS12)])
        hub.batch_enable_standards(StandardsSubscriptionRequests=[{"StandardsArn": CIS12}])
        ctl = next(c for c in self.controls(hub, CIS12) if c["ControlId"] == "2.1")
        self.assertEqual(ctl["ControlStatus"], "ENABLED")

    # ----------------------------------------------------------------- consolidated view
    def test_list_security_control_definitions(self) -> None:
        hub = self.hub()
        first = hub.list_security_control_definitions()
        self.assert_shape("ListSecurityControlDefinitions", first)
        self.assertEqual(len(first["SecurityControlDefinitions"]), 25)  # documented default page
        self.assertIn("NextToken", first)
        every, _ = self.paged(hub.list_security_control_definitions, "SecurityControlDefinitions")
        self.assertEqual({d["SecurityControlId"] for d in every}, {c["id"] for c in TABLE["controls"]})
        nist, pages = self.paged(hub.list_security_control_definitions, "SecurityControlDefinitions",
                                 StandardsArn=NIST, MaxResults=10)
        self.assertEqual({d["SecurityControlId"] for d in nist}, in_standard("nist-800-53"))
        self.assertEqual(pages, -(-len(nist) // 10))
        fsbp = {d["SecurityControlId"]: d for d in self.paged(
            hub.list_security_control_definitions, "SecurityControlDefinitions", StandardsArn=FSBP)[0]}
        self.assertNotIn("SNS.1", fsbp)
        self.assertNotIn("KMS.4", fsbp)
        self.assertEqual((fsbp["EC2.19"]["SeverityRating"], fsbp["EC2.19"]["CurrentRegionAvailability"]),
                         ("CRITICAL", "AVAILABLE"))
        with self.assertRaises(ClientError) as ctx:
            hub.list_security_control_definitions(StandardsArn="arn:aws:securityhub:::standards/nope")
        self.assert_error(ctx, "InvalidInputException", 400)

    def test_list_standards_control_associations(self) -> None:
        hub = self.hub()
        hub.batch_enable_standards(
            StandardsSubscriptionRequests=[{"StandardsArn": a} for a in (CIS14, PCI321)])
        out = hub.list_standards_control_associations(SecurityControlId="IAM.4")
        self.assert_shape("ListStandardsControlAssociations", out)
        assoc = {a["StandardsArn"]: a for a in out["StandardsControlAssociationSummaries"]}
        self.assertEqual(set(assoc), {FSBP, CIS12, CIS14, PCI321})  # NIST is not enabled
        self.assertEqual(assoc[CIS12]["RelatedRequirements"], ["CIS AWS Foundations Benchmark v1.2.0/1.12"])
        self.assertEqual(assoc[FSBP]["SecurityControlArn"],
                         f"arn:aws:securityhub:{REGION}:{DEFAULT_ACCOUNT}:security-control/IAM.4")
        self.assertEqual(assoc[FSBP]["StandardsControlTitle"], "IAM root user access key should not exist")
        by_arn = hub.list_standards_control_associations(SecurityControlId=assoc[FSBP]["SecurityControlArn"])
        self.assertEqual(len(by_arn["StandardsControlAssociationSummaries"]), 4)
        paged, pages = self.paged(hub.list_standards_control_associations,
                                  "StandardsControlAssociationSummaries", SecurityControlId="IAM.4",
                                  MaxResults=1)
        self.assertEqual((len(paged), pages), (4, 4))
        sns = hub.list_standards_control_associations(SecurityControlId="SNS.1")
        self.assertEqual(sns["StandardsControlAssociationSummaries"], [])
        with self.assertRaises(ClientError) as ctx:
            hub.list_standards_control_associations(SecurityControlId="Nope.1")
        self.assert_error(ctx, "InvalidInputException", 400)

    def test_paging_cap_shortens_every_page(self) -> None:
        self.assertEqual(self.http("POST", "/_hubble/standards/paging", {"max_page": 0})[0], 400)
        self.assertEqual(self.http("POST", "/_hubble/standards/paging", {"max_page": 3}),
                         (200, {"max_page": 3}))
        hub = self.hub()
        first = hub.list_security_control_definitions(MaxResults=100)
        self.assertEqual(len(first["SecurityControlDefinitions"]), 3)
        every, pages = self.paged(hub.list_security_control_definitions, "SecurityControlDefinitions",
                                  MaxResults=100)
        self.assertEqual((len(every), pages), (len(TABLE["controls"]), -(-len(TABLE["controls"]) // 3)))
        self.assertEqual(len(self.controls(hub, FSBP, MaxResults=100)), len(in_standard("fsbp")))
        self.assertEqual(self.http("DELETE", "/_hubble/standards/paging"), (200, {"max_page": None}))
        self.assertEqual(len(hub.list_security_control_definitions(MaxResults=100)
                             ["SecurityControlDefinitions"]), len(TABLE["controls"]))

    # ----------------------------------------------------------------- isolation
    def test_accounts_and_regions_are_isolated(self) -> None:
        mine = self.hub()
        role = self.other_account()
        theirs = self.client(creds=role)
        with self.assertRaises(ClientError) as ctx:
            theirs.get_enabled_standards()
        self.assert_error(ctx, "InvalidAccessException", 401)
        theirs.enable_security_hub(EnableDefaultStandards=False)
        theirs.batch_enable_standards(StandardsSubscriptionRequests=[{"StandardsArn": PCI321}])
        subs = theirs.get_enabled_standards()["StandardsSubscriptions"]
        self.assertEqual([s["StandardsSubscriptionArn"] for s in subs],
                         [f"arn:aws:securityhub:{REGION}:{OTHER_ACCOUNT}:subscription/pci-dss/v/3.2.1"])
        self.assertEqual([s["StandardsArn"] for s in mine.get_enabled_standards()["StandardsSubscriptions"]],
                         [FSBP, CIS12])
        west = self.client(region="us-west-2")
        with self.assertRaises(ClientError) as ctx:
            west.list_security_control_definitions()
        self.assert_error(ctx, "InvalidAccessException", 401)

    def test_disable_security_hub_drops_subscriptions(self) -> None:
        hub = self.hub()
        hub.batch_enable_standards(StandardsSubscriptionRequests=[{"StandardsArn": NIST}])
        hub.disable_security_hub()
        with self.assertRaises(ClientError) as ctx:
            hub.get_enabled_standards()
        self.assert_error(ctx, "InvalidAccessException", 401)
        hub.enable_security_hub()
        self.assertEqual([s["StandardsArn"] for s in hub.get_enabled_standards()["StandardsSubscriptions"]],
                         [FSBP, CIS12])


if __name__ == "__main__":
    unittest.main()
