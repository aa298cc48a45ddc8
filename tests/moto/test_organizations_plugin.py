"""Tests of the Organizations additions (hubble_organizations.py) and GetFindingHistory
(hubble_history.py) through boto3.

Run: python -m unittest discover -s tests/moto -p 'test_*.py' -v
"""

from __future__ import annotations

import datetime as dt
import time
import unittest

from botocore.exceptions import ClientError
from server_case import ServerTestCase
from test_plugin import finding, product_arn

MGMT, PROD, DEV, AUDIT, LONER = "123456789012", "111111111111", "222222222222", "333333333333", "444444444444"


class OrganizationsTest(ServerTestCase):
    service = "organizations"

    def setUp(self) -> None:
        self.http("POST", "/moto-api/reset")

    def as_(self, account: str, service: str = "organizations", region: str = "us-east-1"):
        if account == MGMT:
            return self.client(service, region=region)
        creds = self.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/hubble",
                                               RoleSessionName="hubble")["Credentials"]
        return self.client(service, region=region, creds=creds)

    def register(self, account: str, name: str, **extra) -> dict:
        status, body = self.http("POST", "/_hubble/organizations/accounts", {"id": account, "name": name, **extra})
        self.assertEqual(status, 200, body)
        return body["account"]

    def assert_error(self, ctx, code: str, status: int = 400) -> dict:
        err = ctx.exception.response
        self.assertEqual(err["Error"]["Code"], code, err)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status)
        return err

    def names(self, client, **kwargs) -> list[tuple[str, str, str]]:
        out, token = [], None
        while True:
            page = client.list_accounts(**kwargs, **({"NextToken": token} if token else {}))
            out += [(a["Id"], a["Name"], a["Status"]) for a in page["Accounts"]]
            token = page.get("NextToken")
            if not token:
                return out

    # ----------------------------------------------------------------- ListAccounts
    def test_registered_accounts_and_paging(self) -> None:
        with self.assertRaises(ClientError) as ctx:  # no organization yet
            self.client().list_accounts()
        self.assert_error(ctx, "AWSOrganizationsNotInUseException")
        account = self.register(PROD, "prod")
        self.assertEqual((account["Id"], account["Name"], account["Status"]), (PROD, "prod", "ACTIVE"))
        self.register(DEV, "dev", email="dev@example.com")
        self.register(AUDIT, "audit", status="SUSPENDED")
        self.register(MGMT, "security-tooling")  # renames the management account
        self.register(DEV, "development")        # updates an existing one
        orgs = self.client()
        expected = [(MGMT, "security-tooling", "ACTIVE"), (PROD, "prod", "ACTIVE"),
                    (DEV, "development", "ACTIVE"), (AUDIT, "audit", "SUSPENDED")]
        self.assertEqual(self.names(orgs), expected)
        self.assertEqual(self.names(orgs, MaxResults=1), expected)
        first = orgs.list_accounts(MaxResults=3)
        self.assertEqual((len(first["Accounts"]), bool(first.get("NextToken"))), (3, True))
        self.assertEqual(orgs.describe_account(AccountId=DEV)["Account"]["Email"], "dev@example.com")
        self.assertEqual([a["Id"] for a in self.http("GET", "/_hubble/organizations/accounts")[1]["accounts"]],
                         [MGMT, PROD, DEV, AUDIT])
        loose = self.client(validate=False)
        for kwargs, reason in (({"MaxResults": 21}, "MAX_VALUE_EXCEEDED"), ({"MaxResults": 0}, "MIN_VALUE_EXCEEDED"),
                               ({"NextToken": "garbage"}, "INVALID_NEXT_TOKEN")):
            with self.subTest(kwargs=kwargs), self.assertRaises(ClientError) as ctx:
                loose.list_accounts(**kwargs)
            self.assertEqual(self.assert_error(ctx, "InvalidInputException").get("Reason"), reason)
        # members with AssumeRole credentials of their id belong to the organization
        org = orgs.describe_organization()["Organization"]
        self.assertEqual(self.as_(PROD).describe_organization()["Organization"]["Id"], org["Id"])
        for bad in ({"id": "12345", "name": "x"}, {"id": PROD, "name": ""}, {"id": PROD, "name": "x", "status": "GONE"},
                    {"id": PROD, "name": "x", "colour": "red"}, {"id": PROD, "name": "x", "email": "nope"},
                    {"id": PROD, "name": "x", "management_account": LONER}):  # PROD is in another org
            self.assertEqual(self.http("POST", "/_hubble/organizations/accounts", bad)[0], 400, bad)

    def test_who_may_list_accounts(self) -> None:
        self.register(PROD, "prod")
        self.register(DEV, "dev")
        with self.assertRaises(ClientError) as ctx:  # a plain member
            self.as_(PROD).list_accounts()
        self.assertEqual(self.assert_error(ctx, "AccessDeniedException")["Error"]["Message"],
                         "You don't have permissions to access this resource.")
        with self.assertRaises(ClientError) as ctx:
            self.as_(PROD).describe_account(AccountId=DEV)
        self.assert_error(ctx, "AccessDeniedException")
        with self.assertRaises(ClientError) as ctx:  # not in any organization
            self.as_(LONER).list_accounts()
        self.assert_error(ctx, "AWSOrganizationsNotInUseException")
        self.client().register_delegated_administrator(AccountId=PROD, ServicePrincipal="ssm.amazonaws.com")
        self.assertEqual(len(self.names(self.as_(PROD))), 3)  # a delegated administrator may
        self.assertEqual(self.as_(PROD).describe_account(AccountId=DEV)["Account"]["Name"], "dev")

    def test_denied_switch(self) -> None:
        self.register(PROD, "prod")
        orgs = self.client()
        self.assertEqual(self.http("POST", "/_hubble/organizations/denied", {"account": MGMT})[0], 200)
        for call in (orgs.list_accounts, orgs.describe_organization, orgs.list_roots,
                     lambda: orgs.describe_account(AccountId=PROD)):
            with self.assertRaises(ClientError) as ctx:
                call()
            self.assert_error(ctx, "AccessDeniedException")
        self.http("POST", "/_hubble/organizations/denied", {"account": MGMT, "error": "AWSOrganizationsNotInUseException"})
        with self.assertRaises(ClientError) as ctx:
            orgs.list_accounts()
        self.assert_error(ctx, "AWSOrganizationsNotInUseException")
        self.assertEqual(self.http("GET", "/_hubble/organizations/denied")[1],
                         {"denied": {MGMT: "AWSOrganizationsNotInUseException"}})
        self.assertEqual(self.http("DELETE", "/_hubble/organizations/denied")[1], {"cleared": 1})
        self.assertEqual(len(orgs.list_accounts()["Accounts"]), 2)
        self.http("POST", "/_hubble/organizations/denied", {"account": MGMT})
        self.http("POST", "/moto-api/reset")  # reset clears the switch and the organization
        with self.assertRaises(ClientError) as ctx:
            orgs.list_accounts()
        self.assert_error(ctx, "AWSOrganizationsNotInUseException")
        self.register(PROD, "prod-again")  # and former members can join again
        self.assertEqual(self.as_(PROD).describe_organization()["Organization"]["MasterAccountId"], MGMT)
        for bad in ({}, {"account": "x"}, {"account": MGMT, "error": "Boom"}):
            self.assertEqual(self.http("POST", "/_hubble/organizations/denied", bad)[0], 400)


class FindingHistoryTest(ServerTestCase):
    service = "securityhub"

    def setUp(self) -> None:
        self.http("POST", "/moto-api/reset")

    def history(self, hub, finding_id: str, account: str = MGMT, region: str = "us-east-1", **kwargs) -> list[dict]:
        out, token = [], None
        while True:
            page = hub.get_finding_history(FindingIdentifier={"Id": finding_id, "ProductArn": product_arn(account, region)},
                                           **kwargs, **({"NextToken": token} if token else {}))
            out += page["Records"]
            token = page.get("NextToken")
            if not token:
                return out

    def test_finding_history(self) -> None:
        hub = self.client()
        with self.assertRaises(ClientError) as ctx:
            hub.get_finding_history(FindingIdentifier={"Id": "x", "ProductArn": product_arn()})
        self.assertEqual(ctx.exception.response["Error"]["Code"], "InvalidAccessException")
        hub.enable_security_hub()
        hub.batch_import_findings(Findings=[finding(1), finding(2)])
        created = self.history(hub, "finding-0001")
        self.assertEqual(len(created), 1)
        self.assertEqual((created[0]["FindingCreated"], created[0]["UpdateSource"]["Type"],
                          created[0]["UpdateSource"]["Identity"], created[0]["Updates"]),
                         (True, "BATCH_IMPORT_FINDINGS", product_arn(), []))
        self.assertEqual(created[0]["FindingIdentifier"], {"Id": "finding-0001", "ProductArn": product_arn()})
        time.sleep(0.01)
        middle = dt.datetime.now(dt.timezone.utc)
        time.sleep(0.01)
        hub.batch_update_findings(FindingIdentifiers=[{"Id": "finding-0001", "ProductArn": product_arn()}],
                                  Workflow={"Status": "RESOLVED"}, Note={"Text": "fixed", "UpdatedBy": "soc"})
        hub.batch_import_findings(Findings=[finding(1, Title="Renamed", UpdatedAt="2024-02-01T00:00:00.000Z")])
        hub.batch_import_findings(Findings=[finding(1, Title="Renamed", UpdatedAt="2024-02-02T00:00:00.000Z")])
        records = self.history(hub, "finding-0001")
        self.assertEqual([r["UpdateSource"]["Type"] for r in records],
                         ["BATCH_IMPORT_FINDINGS", "BATCH_UPDATE_FINDINGS", "BATCH_IMPORT_FINDINGS"])
        update = {u["UpdatedField"]: u for u in records[1]["Updates"]}
        self.assertEqual((update["Workflow.Status"]["OldValue"], update["Workflow.Status"]["NewValue"]),
                         ("NEW", "RESOLVED"))
        self.assertNotIn("OldValue", update["Note.Text"])
        self.assertEqual(update["Note.Text"]["NewValue"], "fixed")
        self.assertEqual(records[1]["UpdateSource"]["Identity"], f"arn:aws:sts::{MGMT}:user/moto")
        self.assertEqual([u["UpdatedField"] for u in records[2]["Updates"]], ["Title"])  # not UpdatedAt
        later = self.history(hub, "finding-0001", StartTime=middle)
        self.assertEqual(len(later), 2)
        self.assertEqual(len(self.history(hub, "finding-0001", EndTime=middle)), 1)
        self.assertEqual(self.history(hub, "finding-0001", MaxResults=1), records)  # paged one by one
        self.assertEqual(self.history(hub, "nope"), [])
        with self.assertRaises(ClientError) as ctx:
            self.client(validate=False).get_finding_history(FindingIdentifier={"Id": "finding-0001"})
        self.assertEqual(ctx.exception.response["Error"]["Code"], "InvalidInputException")

    def test_administrator_reads_member_history(self) -> None:
        creds = self.client("sts").assume_role(RoleArn=f"arn:aws:iam::{DEV}:role/hubble",
                                               RoleSessionName="hubble")["Credentials"]
        member = self.client(creds=creds)
        member.enable_security_hub()
        member.batch_import_findings(Findings=[finding(7, DEV)])
        admin = self.client()
        admin.enable_security_hub()
        self.assertEqual(self.history(admin, "finding-0007", DEV), [])  # not a member yet
        admin.create_members(AccountDetails=[{"AccountId": DEV}])
        admin.batch_update_findings(FindingIdentifiers=[{"Id": "finding-0007", "ProductArn": product_arn(DEV)}],
                                    Workflow={"Status": "NOTIFIED"})
        seen_by_admin = self.history(admin, "finding-0007", DEV)
        self.assertEqual(seen_by_admin, self.history(member, "finding-0007", DEV))
        self.assertEqual(seen_by_admin[-1]["Updates"][0]["UpdatedField"], "Workflow.Status")


if __name__ == "__main__":
    unittest.main()
