"""Tests of SSM document versions (hubble_ssm_documents.py) through boto3.

Run: python -m unittest discover -s tests/moto -p 'test_*.py' -v
"""

from __future__ import annotations

import hashlib
import json
import unittest
import urllib.parse
import uuid

import yaml
from botocore.exceptions import ClientError
from server_case import ServerTestCase

SG = "AWS-DisablePublicAccessForSecurityGroup"
TERMINATE = "AWS-TerminateEC2Instance"
OTHER_ACCOUNT = "222222222222"


def plain_document(extra_param: str | None = None) -> str:
    params = {"Target": {"type": "String"}}
    if extra_param:
        params[extra_param] = {"type": "String"}
    return json.dumps({"schemaVersion": "0.3", "parameters": params, "mainSteps": [
        {"name": "work", "action": "aws:executeAwsApi",
         "inputs": {"Service": "ec2", "Api": "DescribeInstances"}}]})


class DocumentVersionsTest(ServerTestCase):
    service = "ssm"

    def setUp(self) -> None:
        self.http("POST", "/moto-api/reset")
        self.http("DELETE", "/_hubble/ssm/outcomes")
        self.http("POST", "/_hubble/ssm/outcomes", {"duration_ms": 200})

    def assert_error(self, ctx, code: str, status: int = 400) -> None:
        err = ctx.exception.response
        self.assertEqual(err["Error"]["Code"], code, err)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status)

    def publish(self, **body) -> dict:
        status, answer = self.http("POST", "/_hubble/ssm/documents", {"name": SG, **body})
        self.assertEqual(status, 200, answer)
        return answer["document"]

    def listed(self, **query) -> list[dict]:
        return self.http("GET", "/_hubble/ssm/documents?" + urllib.parse.urlencode(query))[1]["documents"]

    # ----------------------------------------------------------------- AWS-owned runbooks
    def test_describe_and_get_owned_runbook(self) -> None:
        ssm = self.client()
        doc = ssm.describe_document(Name=SG)["Document"]
        self.assertEqual((doc["DocumentVersion"], doc["LatestVersion"], doc["DefaultVersion"]),
                         ("1", "1", "1"))
        self.assertEqual((doc["Owner"], doc["DocumentType"], doc["Status"], doc["HashType"]),
                         ("Amazon", "Automation", "Active", "Sha256"))
        got = ssm.get_document(Name=SG, DocumentVersion="1", DocumentFormat="JSON")
        self.assertEqual(hashlib.sha256(got["Content"].encode()).hexdigest(), doc["Hash"])
        content = json.loads(got["Content"])
        self.assertEqual(content["schemaVersion"], "0.3")
        self.assertEqual(set(content["parameters"]), {"AutomationAssumeRole", "GroupId", "IpAddressToBlock"})
        self.assertEqual(content["assumeRole"], "{{ AutomationAssumeRole }}")
        self.assertEqual([s["name"] for s in content["mainSteps"]], ["DisableFromAllIp", "DisableFromIpV6"])
        self.assertEqual(content["mainSteps"][0]["inputs"]["GroupId"], "{{ GroupId }}")
        self.assertEqual((got["DocumentVersion"], got["DocumentType"], got["DocumentFormat"]),
                         ("1", "Automation", "JSON"))
        as_yaml = ssm.get_document(Name=SG, DocumentFormat="YAML")
        self.assertEqual(yaml.safe_load(as_yaml["Content"]), content)
        for kwargs in ({"DocumentVersion": "$DEFAULT"}, {"DocumentVersion": "$LATEST"}, {}):
            self.assertEqual(ssm.describe_document(Name=SG, **kwargs)["Document"]["Hash"], doc["Hash"])
        for call in (lambda: ssm.describe_document(Name=SG, DocumentVersion="2"),
                     lambda: ssm.get_document(Name=SG, DocumentVersion="9"),
                     lambda: ssm.describe_document(Name=SG, VersionName="12.6")):
            with self.assertRaises(ClientError) as ctx:
                call()
            self.assert_error(ctx, "InvalidDocumentVersion")
        for call in (lambda: ssm.describe_document(Name="AWS-NoSuchRunbook"),
                     lambda: ssm.get_document(Name="AWS-NoSuchRunbook")):
            with self.assertRaises(ClientError) as ctx:
                call()
            self.assert_error(ctx, "InvalidDocument")

    def test_publishing_a_new_version(self) -> None:
        ssm = self.client()
        v1 = ssm.describe_document(Name=SG)["Document"]
        published = self.publish()
        self.assertEqual(published["version"], "2")
        v2 = ssm.describe_document(Name=SG)["Document"]
        self.assertEqual((v2["DocumentVersion"], v2["LatestVersion"], v2["DefaultVersion"]), ("2", "2", "2"))
        self.assertNotEqual(v2["Hash"], v1["Hash"])
        self.assertEqual(v2["Hash"], published["hash"])
        self.assertEqual(ssm.describe_document(Name=SG, DocumentVersion="1")["Document"]["Hash"], v1["Hash"])
        old = ssm.get_document(Name=SG, DocumentVersion="1")["Content"]
        new = ssm.get_document(Name=SG)["Content"]
        self.assertNotEqual(old, new)
        self.assertEqual(hashlib.sha256(new.encode()).hexdigest(), v2["Hash"])
        listed = self.listed(name=SG)[0]
        self.assertEqual((listed["latest_version"], [v["version"] for v in listed["versions"]]), ("2", ["1", "2"]))
        self.assertEqual(len(self.listed()), 26)  # every AWS-owned runbook
        # reset drops published versions
        self.http("POST", "/moto-api/reset")
        self.assertEqual(ssm.describe_document(Name=SG)["Document"]["LatestVersion"], "1")

    def test_published_versions_are_scoped(self) -> None:
        role = self.client("sts").assume_role(RoleArn=f"arn:aws:iam::{OTHER_ACCOUNT}:role/r",
                                              RoleSessionName="hubble")["Credentials"]
        mine, theirs, west = self.client(), self.client(creds=role), self.client(region="eu-west-1")
        self.assertEqual(self.publish(account=OTHER_ACCOUNT)["version"], "2")
        self.assertEqual(self.publish(region="eu-west-1")["version"], "2")  # as 123456789012 sees it
        self.assertEqual(self.publish()["version"], "2")  # everywhere: 2 here, 3 for the others
        latest = lambda c: c.describe_document(Name=SG)["Document"]["LatestVersion"]
        self.assertEqual((latest(mine), latest(theirs), latest(west)), ("2", "3", "3"))
        self.assertEqual(self.listed(name=SG, account=OTHER_ACCOUNT)[0]["latest_version"], "3")
        for bad in ({"name": "AWS-NoSuch"}, {"name": SG, "colour": "red"},
                    {"name": SG, "steps": []}, {"name": SG, "parameters": {"X": {"type": "Blob"}}},
                    {"name": SG, "parameters": {"X": {"type": "String", "required": True, "default": "a"}}}):
            self.assertEqual(self.http("POST", "/_hubble/ssm/documents", bad)[0], 400, bad)
        self.assertEqual(self.http("DELETE", "/_hubble/ssm/documents")[0], 405)

    def test_start_honours_the_version_and_its_parameters(self) -> None:
        ssm = self.client()
        v1_params = {"GroupId": ["sg-1"]}
        self.publish(parameters={"AutomationAssumeRole": {"type": "String", "required": False},
                                 "GroupId": {"type": "String", "required": True},
                                 "Ports": {"type": "StringList", "required": True}},
                     steps=[{"name": "RevokeIngress", "action": "aws:executeAwsApi"}])
        with self.assertRaises(ClientError) as ctx:  # $DEFAULT is v2 now: Ports is required
            ssm.start_automation_execution(DocumentName=SG, Parameters=v1_params)
        self.assert_error(ctx, "InvalidAutomationExecutionParametersException")
        self.assertIn("Ports", ctx.exception.response["Error"]["Message"])
        with self.assertRaises(ClientError) as ctx:  # and v1 knows no Ports
            ssm.start_automation_execution(DocumentName=SG, DocumentVersion="1",
                                           Parameters={**v1_params, "Ports": ["22"]})
        self.assert_error(ctx, "InvalidAutomationExecutionParametersException")
        first = ssm.start_automation_execution(DocumentName=SG, DocumentVersion="1",
                                               Parameters=v1_params)["AutomationExecutionId"]
        second = ssm.start_automation_execution(DocumentName=SG, DocumentVersion="$LATEST",
                                                Parameters={**v1_params, "Ports": ["22"]})["AutomationExecutionId"]
        with self.assertRaises(ClientError) as ctx:
            ssm.start_automation_execution(DocumentName=SG, DocumentVersion="3", Parameters=v1_params)
        self.assert_error(ctx, "AutomationDefinitionVersionNotFoundException")
        ex1 = ssm.get_automation_execution(AutomationExecutionId=first)["AutomationExecution"]
        ex2 = ssm.get_automation_execution(AutomationExecutionId=second)["AutomationExecution"]
        self.assertEqual((ex1["DocumentVersion"], ex2["DocumentVersion"]), ("1", "2"))
        self.assertEqual([s["StepName"] for s in ex2["StepExecutions"]], ["RevokeIngress"])
        listed = {m["AutomationExecutionId"]: m["DocumentVersion"] for m in
                  ssm.describe_automation_executions()["AutomationExecutionMetadataList"]}
        self.assertEqual(listed, {first: "1", second: "2"})
        runs = {r["id"]: r["document_version"] for r in
                self.http("GET", "/_hubble/ssm/executions")[1]["executions"]}
        self.assertEqual(runs, {first: "1", second: "2"})

    def test_client_token_covers_the_document_version(self) -> None:
        ssm, token = self.client(), str(uuid.uuid4())
        params = {"InstanceId": ["i-1"]}
        first = ssm.start_automation_execution(DocumentName=TERMINATE, DocumentVersion="1",
                                               ClientToken=token, Parameters=params)["AutomationExecutionId"]
        again = ssm.start_automation_execution(DocumentName=TERMINATE, DocumentVersion="1",
                                               ClientToken=token, Parameters=params)["AutomationExecutionId"]
        self.assertEqual(first, again)
        for other in ({"DocumentVersion": "$LATEST"}, {"DocumentVersion": "$DEFAULT"}, {}):
            with self.subTest(other=other), self.assertRaises(ClientError) as ctx:
                ssm.start_automation_execution(DocumentName=TERMINATE, ClientToken=token,
                                               Parameters=params, **other)
            self.assert_error(ctx, "IdempotentParameterMismatch")
        self.assertEqual(len(self.http("GET", "/_hubble/ssm/executions")[1]["executions"]), 1)

    # ----------------------------------------------------------------- customer documents
    def test_customer_document_versions(self) -> None:
        ssm = self.client()
        ssm.create_document(Name="hubble-fix", DocumentType="Automation", Content=plain_document())
        v1 = ssm.describe_document(Name="hubble-fix", DocumentVersion="$DEFAULT")["Document"]
        self.assertEqual(v1["Hash"], hashlib.sha256(plain_document().encode()).hexdigest())
        updated = ssm.update_document(Name="hubble-fix", Content=plain_document("Extra"))["DocumentDescription"]
        self.assertEqual((updated["DocumentVersion"], updated["LatestVersion"], updated["DefaultVersion"]),
                         ("2", "2", "1"))
        self.assertNotEqual(updated["Hash"], v1["Hash"])
        self.assertEqual(ssm.describe_document(Name="hubble-fix")["Document"]["DocumentVersion"], "1")
        # $DEFAULT runs v1 (no Extra parameter); $LATEST runs v2
        with self.assertRaises(ClientError) as ctx:
            ssm.start_automation_execution(DocumentName="hubble-fix", DocumentVersion="$DEFAULT",
                                           Parameters={"Target": ["a"], "Extra": ["x"]})
        self.assert_error(ctx, "InvalidAutomationExecutionParametersException")
        latest = ssm.start_automation_execution(DocumentName="hubble-fix", DocumentVersion="$LATEST",
                                                Parameters={"Target": ["a"], "Extra": ["x"]})
        ex = ssm.get_automation_execution(AutomationExecutionId=latest["AutomationExecutionId"])
        self.assertEqual(ex["AutomationExecution"]["DocumentVersion"], "2")
        ssm.update_document_default_version(Name="hubble-fix", DocumentVersion="2")
        self.assertEqual(ssm.describe_document(Name="hubble-fix")["Document"]["DefaultVersion"], "2")
        for call in (lambda: ssm.describe_document(Name="hubble-fix", DocumentVersion="5"),
                     lambda: ssm.get_document(Name="hubble-fix", DocumentVersion="5"),
                     lambda: ssm.update_document_default_version(Name="hubble-fix", DocumentVersion="5")):
            with self.assertRaises(ClientError) as ctx:
                call()
            self.assert_error(ctx, "InvalidDocumentVersion")
        with self.assertRaises(ClientError) as ctx:
            ssm.describe_document(Name="hubble-nope")
        self.assert_error(ctx, "InvalidDocument")


if __name__ == "__main__":
    unittest.main()
