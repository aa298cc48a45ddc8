"""Tests of cross-Region aggregation and administrators (hubble_aggregation.py) through boto3.

Run: python -m unittest discover -s tests/moto -p 'test_*.py' -v
"""

from __future__ import annotations

import unittest

from botocore.exceptions import ClientError
from server_case import ServerTestCase
from test_plugin import finding, product_arn
from test_securityhub_v2_plugin import ocsf, sf

ADMIN, MEMBER, OTHER, MGMT = "111111111111", "222222222222", "333333333333", "123456789012"
HOME, WEST, TOKYO = "us-east-1", "eu-west-1", "ap-northeast-1"


class AggregationTest(ServerTestCase):
    service = "securityhub"

    def setUp(self) -> None:
        self.http("POST", "/moto-api/reset")
        self.creds: dict[str, dict] = {}

    # ----------------------------------------------------------------- helpers
    def as_(self, account: str, region: str = HOME, service: str = "securityhub", **kw):
        if account == MGMT:
            return self.client(service, region=region, **kw)
        if account not in self.creds:
            self.creds[account] = self.client("sts").assume_role(
                RoleArn=f"arn:aws:iam::{account}:role/hubble", RoleSessionName="hubble")["Credentials"]
        return self.client(service, region=region, creds=self.creds[account], **kw)

    def hub(self, account: str, region: str, *numbers: int):
        hub = self.as_(account, region)
        hub.enable_security_hub()
        if numbers:
            result = hub.batch_import_findings(Findings=[finding(n, account, region) for n in numbers])
            self.assertEqual(result["FailedCount"], 0, result)
        return hub

    def seen(self, hub, **kwargs) -> list[tuple[str, str, str]]:
        out, token = [], None
        while True:
            page = hub.get_findings(**kwargs, **({"NextToken": token} if token else {}))
            out += [(f["AwsAccountId"], f["Region"], f["Id"]) for f in page["Findings"]]
            token = page.get("NextToken")
            if not token:
                return sorted(out)

    def assert_error(self, ctx, code: str, status: int) -> None:
        err = ctx.exception.response
        self.assertEqual(err["Error"]["Code"], code, err)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status)

    def organization(self, *accounts: str) -> None:
        for account in accounts:
            status, body = self.http("POST", "/_hubble/organizations/accounts",
                                     {"id": account, "name": f"acct-{account}"})
            self.assertEqual(status, 200, body)

    # ----------------------------------------------------------------- aggregator API
    def test_finding_aggregator_crud(self) -> None:
        hub = self.hub(MGMT, HOME)
        self.assertEqual(hub.list_finding_aggregators()["FindingAggregators"], [])
        created = hub.create_finding_aggregator(RegionLinkingMode="SPECIFIED_REGIONS", Regions=[WEST])
        arn = created["FindingAggregatorArn"]
        self.assertTrue(arn.startswith(f"arn:aws:securityhub:{HOME}:{MGMT}:finding-aggregator/"))
        self.assertEqual((created["FindingAggregationRegion"], created["RegionLinkingMode"], created["Regions"]),
                         (HOME, "SPECIFIED_REGIONS", [WEST]))
        west = self.hub(MGMT, WEST)
        self.assertEqual(west.list_finding_aggregators()["FindingAggregators"],
                         [{"FindingAggregatorArn": arn}])  # visible from every Region
        self.assertEqual(west.get_finding_aggregator(FindingAggregatorArn=arn)["FindingAggregationRegion"], HOME)
        with self.assertRaises(ClientError) as ctx:  # only from the home Region
            west.update_finding_aggregator(FindingAggregatorArn=arn, RegionLinkingMode="ALL_REGIONS")
        self.assert_error(ctx, "InvalidInputException", 400)
        updated = hub.update_finding_aggregator(FindingAggregatorArn=arn,
                                                RegionLinkingMode="ALL_REGIONS_EXCEPT_SPECIFIED", Regions=[TOKYO])
        self.assertEqual((updated["RegionLinkingMode"], updated["Regions"]), ("ALL_REGIONS_EXCEPT_SPECIFIED", [TOKYO]))
        for bad in ({"RegionLinkingMode": "SOME_REGIONS"}, {"RegionLinkingMode": "SPECIFIED_REGIONS"},
                    {"RegionLinkingMode": "NO_REGIONS", "Regions": [WEST]},
                    {"RegionLinkingMode": "SPECIFIED_REGIONS", "Regions": ["mars-north-1"]},
                    {"RegionLinkingMode": "SPECIFIED_REGIONS", "Regions": [HOME]},
                    {"RegionLinkingMode": "ALL_REGIONS"}):  # the last: a second aggregator
            with self.subTest(bad=bad), self.assertRaises(ClientError) as ctx:
                hub.create_finding_aggregator(**bad)
            self.assert_error(ctx, "InvalidInputException", 400)
        missing = arn[:-4] + "0000"
        for call in (lambda: hub.get_finding_aggregator(FindingAggregatorArn=missing),
                     lambda: hub.delete_finding_aggregator(FindingAggregatorArn=missing)):
            with self.assertRaises(ClientError) as ctx:
                call()
            self.assert_error(ctx, "ResourceNotFoundException", 404)
        hub.delete_finding_aggregator(FindingAggregatorArn=arn)
        self.assertEqual(hub.list_finding_aggregators()["FindingAggregators"], [])
        with self.assertRaises(ClientError) as ctx:  # the hub must be on
            self.as_(MGMT, TOKYO).create_finding_aggregator(RegionLinkingMode="ALL_REGIONS")
        self.assert_error(ctx, "InvalidAccessException", 401)

    def test_aggregator_v2_crud(self) -> None:
        hub = self.as_(MGMT, HOME)
        with self.assertRaises(ClientError) as ctx:
            hub.create_aggregator_v2(RegionLinkingMode="ALL_REGIONS")
        self.assert_error(ctx, "AccessDeniedException", 403)
        hub.enable_security_hub_v2()
        created = hub.create_aggregator_v2(RegionLinkingMode="SPECIFIED_REGIONS", LinkedRegions=[WEST])
        arn = created["AggregatorV2Arn"]
        self.assertEqual((created["AggregationRegion"], created["LinkedRegions"]), (HOME, [WEST]))
        self.assertEqual(hub.list_aggregators_v2()["AggregatorsV2"], [{"AggregatorV2Arn": arn}])
        self.assertEqual(hub.get_aggregator_v2(AggregatorV2Arn=arn)["RegionLinkingMode"], "SPECIFIED_REGIONS")
        self.assertEqual(hub.update_aggregator_v2(AggregatorV2Arn=arn, RegionLinkingMode="ALL_REGIONS")
                         ["LinkedRegions"], [])
        with self.assertRaises(ClientError) as ctx:
            hub.create_aggregator_v2(RegionLinkingMode="ALL_REGIONS")
        self.assert_error(ctx, "ConflictException", 409)
        with self.assertRaises(ClientError) as ctx:
            hub.update_aggregator_v2(AggregatorV2Arn=arn, RegionLinkingMode="NEARBY")
        self.assert_error(ctx, "ValidationException", 400)
        hub.delete_aggregator_v2(AggregatorV2Arn=arn)
        with self.assertRaises(ClientError) as ctx:
            hub.get_aggregator_v2(AggregatorV2Arn=arn)
        self.assert_error(ctx, "ResourceNotFoundException", 404)

    # ----------------------------------------------------------------- v1 aggregation
    def test_members_and_linked_regions(self) -> None:
        admin = self.hub(ADMIN, HOME, 1, 2)
        admin_west = self.hub(ADMIN, WEST, 3)
        self.hub(ADMIN, TOKYO, 4)
        self.hub(MEMBER, HOME, 5)
        member_west = self.hub(MEMBER, WEST, 6, 7)
        self.hub(OTHER, HOME, 8)  # not a member: never seen
        self.assertEqual(len(self.seen(admin)), 2)  # no members, no aggregator yet
        admin.create_members(AccountDetails=[{"AccountId": MEMBER, "Email": "m@example.com"}])
        f = lambda acct, region, *ns: [(acct, region, f"finding-{n:04d}") for n in ns]  # noqa: E731
        self.assertEqual(self.seen(admin), f(ADMIN, HOME, 1, 2) + f(MEMBER, HOME, 5))
        arn = admin.create_finding_aggregator(RegionLinkingMode="ALL_REGIONS")["FindingAggregatorArn"]
        everything = sorted(f(ADMIN, HOME, 1, 2) + f(ADMIN, WEST, 3) + f(ADMIN, TOKYO, 4)
                            + f(MEMBER, HOME, 5) + f(MEMBER, WEST, 6, 7))
        self.assertEqual(self.seen(admin), everything)
        self.assertEqual(self.seen(admin, MaxResults=2), everything)  # paging across backends
        self.assertEqual(self.seen(admin_west), f(ADMIN, WEST, 3))  # not the home Region
        self.assertEqual(self.seen(member_west), f(MEMBER, WEST, 6, 7))  # members see their own
        by_filter = self.seen(admin, Filters={"AwsAccountId": [{"Value": MEMBER, "Comparison": "EQUALS"}],
                                              "Region": [{"Value": WEST, "Comparison": "EQUALS"}]})
        self.assertEqual(by_filter, f(MEMBER, WEST, 6, 7))
        ordered = admin.get_findings(SortCriteria=[{"Field": "AwsAccountId", "SortOrder": "desc"},
                                                   {"Field": "Id", "SortOrder": "asc"}], MaxResults=3)["Findings"]
        self.assertEqual([x["Id"] for x in ordered], ["finding-0005", "finding-0006", "finding-0007"])
        for mode, regions, expected in (
                ("SPECIFIED_REGIONS", [WEST], f(ADMIN, HOME, 1, 2) + f(ADMIN, WEST, 3) + f(MEMBER, HOME, 5)
                 + f(MEMBER, WEST, 6, 7)),
                ("ALL_REGIONS_EXCEPT_SPECIFIED", [WEST], f(ADMIN, HOME, 1, 2) + f(ADMIN, TOKYO, 4) + f(MEMBER, HOME, 5)),
                ("NO_REGIONS", [], f(ADMIN, HOME, 1, 2) + f(MEMBER, HOME, 5))):
            admin.update_finding_aggregator(FindingAggregatorArn=arn, RegionLinkingMode=mode,
                                            **({"Regions": regions} if regions else {}))
            with self.subTest(mode=mode):
                self.assertEqual(self.seen(admin), sorted(expected))
        # the admin's update changes the member's own finding; UpdatedAt stays
        admin.update_finding_aggregator(FindingAggregatorArn=arn, RegionLinkingMode="ALL_REGIONS")
        ident = {"Id": "finding-0006", "ProductArn": product_arn(MEMBER, WEST)}
        before = member_west.get_findings()["Findings"]
        result = admin.batch_update_findings(FindingIdentifiers=[ident], Workflow={"Status": "RESOLVED"},
                                             Note={"Text": "closed by the SOC", "UpdatedBy": "admin"})
        self.assertEqual(result["ProcessedFindings"], [ident])
        mine = {x["Id"]: x for x in member_west.get_findings()["Findings"]}
        self.assertEqual(mine["finding-0006"]["Workflow"]["Status"], "RESOLVED")
        self.assertEqual(mine["finding-0006"]["UpdatedAt"],
                         next(x for x in before if x["Id"] == "finding-0006")["UpdatedAt"])
        resolved = self.seen(admin, Filters={"WorkflowStatus": [{"Value": "RESOLVED", "Comparison": "EQUALS"}]})
        self.assertEqual(resolved, f(MEMBER, WEST, 6))
        # a member cannot update the administrator's findings
        result = member_west.batch_update_findings(
            FindingIdentifiers=[{"Id": "finding-0003", "ProductArn": product_arn(ADMIN, WEST)}],
            Workflow={"Status": "RESOLVED"})
        self.assertEqual(result["UnprocessedFindings"][0]["ErrorCode"], "FindingNotFound")

    def test_organization_admin(self) -> None:
        self.organization(ADMIN, MEMBER)  # management account 123456789012 + two members
        mgmt = self.hub(MGMT, HOME, 1)
        admin = self.hub(ADMIN, HOME, 2)
        self.hub(MEMBER, HOME, 3)
        self.hub(MEMBER, WEST, 4)
        self.hub(OTHER, HOME, 5)  # outside the organization
        with self.assertRaises(ClientError) as ctx:  # only the management account designates
            admin.enable_organization_admin_account(AdminAccountId=ADMIN)
        self.assert_error(ctx, "AccessDeniedException", 403)
        answer = mgmt.enable_organization_admin_account(AdminAccountId=ADMIN)
        self.assertEqual((answer["AdminAccountId"], answer["Feature"]), (ADMIN, "SecurityHub"))
        self.assertEqual(mgmt.list_organization_admin_accounts()["AdminAccounts"],
                         [{"AccountId": ADMIN, "Status": "ENABLED"}])
        self.assertEqual(mgmt.list_organization_admin_accounts(Feature="SecurityHubV2")["AdminAccounts"], [])
        with self.assertRaises(ClientError) as ctx:
            admin.list_organization_admin_accounts()
        self.assert_error(ctx, "InvalidAccessException", 401)
        self.assertEqual({a for a, _, _ in self.seen(admin)}, {MGMT, ADMIN, MEMBER})
        admin.create_finding_aggregator(RegionLinkingMode="SPECIFIED_REGIONS", Regions=[WEST])
        self.assertIn((MEMBER, WEST, "finding-0004"), self.seen(admin))
        # the Security Hub admin is an Organizations delegated administrator: it may list accounts
        names = {a["Id"]: a["Name"] for a in self.as_(ADMIN, service="organizations").list_accounts()["Accounts"]}
        self.assertEqual(names, {MGMT: "master", ADMIN: f"acct-{ADMIN}", MEMBER: f"acct-{MEMBER}"})
        mgmt.disable_organization_admin_account(AdminAccountId=ADMIN)
        self.assertEqual({a for a, _, _ in self.seen(admin)}, {ADMIN})
        with self.assertRaises(ClientError) as ctx:
            self.as_(ADMIN, service="organizations").list_accounts()
        self.assert_error(ctx, "AccessDeniedException", 400)

    # ----------------------------------------------------------------- v2 aggregation
    def test_v2_delegated_admin_aggregation_and_scopes(self) -> None:
        self.organization(ADMIN, MEMBER)
        orgs = self.as_(MGMT, service="organizations")
        root = orgs.list_roots()["Roots"][0]["Id"]
        ou = orgs.create_organizational_unit(ParentId=root, Name="prod")["OrganizationalUnit"]["Id"]
        orgs.move_account(AccountId=MEMBER, SourceParentId=root, DestinationParentId=ou)
        org_id = orgs.describe_organization()["Organization"]["Id"]
        for account, region, n in ((ADMIN, HOME, 1), (MEMBER, HOME, 2), (MEMBER, WEST, 3), (MGMT, HOME, 4)):
            self.as_(account, region).enable_security_hub_v2()
            self.http("POST", "/_hubble/securityhub/v2/findings",
                      {"findings": [ocsf("detection", n, account, region)]})
        admin = self.as_(ADMIN)
        uids = lambda **kw: sorted(x["metadata"]["uid"] for x in admin.get_findings_v2(**kw)["Findings"])  # noqa: E731
        u = lambda account, region, n: f"detection-{account}-{region}-{n:03d}"  # noqa: E731
        self.assertEqual(uids(), [u(ADMIN, HOME, 1)])
        with self.assertRaises(ClientError) as ctx:
            admin.get_findings_v2(Scopes={"AwsOrganizations": [{"OrganizationId": org_id}]})
        self.assert_error(ctx, "AccessDeniedException", 403)
        mgmt = self.as_(MGMT)
        mgmt.enable_security_hub()
        self.assertEqual(mgmt.enable_organization_admin_account(AdminAccountId=ADMIN, Feature="SecurityHubV2")
                         ["Feature"], "SecurityHubV2")
        self.assertEqual(uids(), sorted([u(ADMIN, HOME, 1), u(MEMBER, HOME, 2), u(MGMT, HOME, 4)]))
        admin.create_aggregator_v2(RegionLinkingMode="SPECIFIED_REGIONS", LinkedRegions=[WEST])
        everyone = sorted([u(ADMIN, HOME, 1), u(MEMBER, HOME, 2), u(MEMBER, WEST, 3), u(MGMT, HOME, 4)])
        self.assertEqual(uids(), everyone)
        self.assertEqual(uids(Scopes={"AwsOrganizations": [{"OrganizationId": org_id}]}), everyone)
        self.assertEqual(uids(Scopes={"AwsOrganizations": [{"OrganizationalUnitId": ou}]}),
                         sorted([u(MEMBER, HOME, 2), u(MEMBER, WEST, 3)]))
        self.assertEqual(uids(Filters={"CompositeFilters": [{"StringFilters": [sf("cloud.region", WEST)]}]}),
                         [u(MEMBER, WEST, 3)])
        stats = admin.get_finding_statistics_v2(GroupByRules=[{"GroupByField": "cloud.account.uid"}])
        self.assertEqual({v["FieldValue"]: v["Count"] for v in stats["GroupByResults"][0]["GroupByValues"]},
                         {ADMIN: 1, MEMBER: 2, MGMT: 1})
        for scope, code in (({"OrganizationId": "o-doesnotexist"}, "OrganizationNotFoundException"),
                            ({"OrganizationalUnitId": "ou-nope-12345678"}, "OrganizationalUnitNotFoundException")):
            with self.assertRaises(ClientError) as ctx:
                admin.get_findings_v2(Scopes={"AwsOrganizations": [scope]})
            self.assert_error(ctx, code, 400)
        result = admin.batch_update_findings_v2(MetadataUids=[u(MEMBER, WEST, 3)], StatusId=4)
        self.assertEqual(result["ProcessedFindings"][0]["FindingIdentifier"]["CloudAccountUid"], MEMBER)
        theirs = self.as_(MEMBER, WEST).get_findings_v2()["Findings"]
        self.assertEqual((theirs[0]["status_id"], theirs[0]["status"]), (4, "Resolved"))
        # the member itself still sees only its own findings
        self.assertEqual([x["metadata"]["uid"] for x in self.as_(MEMBER).get_findings_v2()["Findings"]],
                         [u(MEMBER, HOME, 2)])
        # v1 administration does not reach v2, nor the reverse
        self.assertEqual(mgmt.list_organization_admin_accounts()["AdminAccounts"], [])


if __name__ == "__main__":
    unittest.main()
