"""Tests of hubble_moto.py's own control endpoints: /_hubble/faults ("after", "delay") and
/_hubble/requests, through boto3.

Run: python -m unittest discover -s tests/moto -p 'test_*.py' -v
"""

from __future__ import annotations

import time
import unittest
import urllib.parse
import uuid

from botocore.exceptions import ClientError, ReadTimeoutError
import botocore.config
import boto3
from server_case import ServerTestCase

TERMINATE = "AWS-TerminateEC2Instance"
ACCOUNT, OTHER = "123456789012", "222222222222"


class ControlEndpointsTest(ServerTestCase):
    service = "ssm"

    def setUp(self) -> None:
        self.http("POST", "/moto-api/reset")
        self.http("DELETE", "/_hubble/faults")
        self.http("DELETE", "/_hubble/requests")
        self.http("DELETE", "/_hubble/ssm/outcomes")

    def fault(self, **spec) -> dict:
        status, body = self.http("POST", "/_hubble/faults", spec)
        self.assertEqual(status, 200, body)
        return body["fault"]

    def requests(self, **query) -> list[dict]:
        qs = f"?{urllib.parse.urlencode(query)}" if query else ""
        status, body = self.http("GET", "/_hubble/requests" + qs)
        self.assertEqual(status, 200, body)
        return body["requests"]

    def runs(self) -> list[dict]:
        return self.http("GET", "/_hubble/ssm/executions")[1]["executions"]

    def start(self, ssm, token: str | None = None) -> str:
        return ssm.start_automation_execution(
            DocumentName=TERMINATE, Parameters={"InstanceId": ["i-1"]},
            **({"ClientToken": token} if token else {}))["AutomationExecutionId"]

    # ----------------------------------------------------------------- faults: after
    def test_after_fault_takes_effect_then_answers_the_error(self) -> None:
        ssm, token = self.client(), str(uuid.uuid4())
        self.fault(operation="StartAutomationExecution", error="InternalServerError", after=True)
        with self.assertRaises(ClientError) as ctx:
            self.start(ssm, token)
        self.assertEqual(ctx.exception.response["Error"]["Code"], "InternalServerError")
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 500)
        runs = self.runs()
        self.assertEqual(len(runs), 1)  # SSM accepted the start ...
        exec_id = self.start(ssm, token)  # ... and the retry with the same token finds it
        self.assertEqual(exec_id, runs[0]["id"])
        self.assertEqual(self.runs()[0]["start_requests"], 2)
        # without "after" nothing happens
        self.fault(operation="StartAutomationExecution", error="ThrottlingException")
        with self.assertRaises(ClientError):
            self.start(ssm, str(uuid.uuid4()))
        self.assertEqual(len(self.runs()), 1)

    # ----------------------------------------------------------------- faults: delay
    def test_delay_with_and_without_error(self) -> None:
        ssm = self.client()
        self.start(ssm)
        self.fault(operation="DescribeAutomationExecutions", delay=0.4)  # delay only
        began = time.monotonic()
        listed = ssm.describe_automation_executions()["AutomationExecutionMetadataList"]
        self.assertGreaterEqual(time.monotonic() - began, 0.4)
        self.assertEqual(len(listed), 1)
        began = time.monotonic()
        ssm.describe_automation_executions()  # count used up
        self.assertLess(time.monotonic() - began, 0.3)
        self.fault(operation="DescribeAutomationExecutions", delay=0.3, error="ThrottlingException")
        began = time.monotonic()
        with self.assertRaises(ClientError) as ctx:
            ssm.describe_automation_executions()
        self.assertGreaterEqual(time.monotonic() - began, 0.3)
        self.assertEqual(ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"], 429)

    def test_after_with_delay_only_is_a_client_timeout(self) -> None:
        impatient = boto3.client(
            "ssm", endpoint_url=self.endpoint, region_name=self.region,
            aws_access_key_id="testing", aws_secret_access_key="testing",
            config=botocore.config.Config(retries={"total_max_attempts": 1}, read_timeout=0.3))
        self.fault(operation="StartAutomationExecution", delay=1.0, after=True)
        with self.assertRaises(ReadTimeoutError):
            self.start(impatient)
        self.assertEqual(len(self.runs()), 1)  # started although the client gave up

    def test_fault_validation(self) -> None:
        for bad in ({"operation": "X"}, {"operation": "X", "delay": 0},
                    {"operation": "X", "delay": 301}, {"operation": "X", "delay": "1"},
                    {"operation": "X", "error": "E", "after": "yes"},
                    {"operation": "X", "delay": 1, "status": 500},
                    {"operation": "X", "error": "", "delay": 1}, {"operation": "X", "colour": 1}):
            self.assertEqual(self.http("POST", "/_hubble/faults", bad)[0], 400, bad)
        fault = self.fault(operation="GetFindings", error="ThrottlingException")
        self.assertEqual((fault["after"], fault["delay"], fault["status"], fault["count"]),
                         (False, None, 429, 1))
        fault = self.fault(operation="GetFindings", delay=1.5)
        self.assertEqual((fault["error"], fault["status"], fault["message"]), (None, None, None))

    # ----------------------------------------------------------------- request log
    def test_request_log(self) -> None:
        role = self.client("sts").assume_role(RoleArn=f"arn:aws:iam::{OTHER}:role/reader",
                                              RoleSessionName="hubble")["Credentials"]
        self.http("DELETE", "/_hubble/requests")
        hub, theirs = self.client("securityhub"), self.client("securityhub", creds=role, region="eu-west-1")
        hub.enable_security_hub()
        theirs.enable_security_hub()
        filters = {"SeverityLabel": [{"Value": "HIGH", "Comparison": "EQUALS"}]}
        hub.get_findings(Filters=filters, MaxResults=5)
        theirs.get_findings()
        self.fault(operation="GetFindings", error="ThrottlingException", account=ACCOUNT)
        with self.assertRaises(ClientError):
            hub.get_findings()
        self.start(self.client())
        mine = self.requests(service="securityhub", operation="GetFindings", account=ACCOUNT)
        self.assertEqual([r["body"] for r in mine], [{"Filters": filters, "MaxResults": 5}, {}])
        self.assertEqual([r["status"] for r in mine], [200, 429])
        self.assertEqual(mine[1]["fault"]["error"], "ThrottlingException")
        self.assertEqual((mine[0]["region"], mine[0]["method"], mine[0]["path"]),
                         ("us-east-1", "POST", "/findings"))
        other = self.requests(operation="GetFindings", account=OTHER)
        self.assertEqual([(r["account"], r["region"]) for r in other], [(OTHER, "eu-west-1")])
        ssm = self.requests(service="ssm")
        self.assertEqual([r["operation"] for r in ssm], ["StartAutomationExecution"])
        self.assertEqual(ssm[0]["body"]["Parameters"], {"InstanceId": ["i-1"]})
        everything = self.requests()
        self.assertEqual(everything[0]["operation"], "EnableSecurityHub")
        self.assertTrue(all(r["time"].endswith("Z") for r in everything))
        sts = self.requests(service="sts")
        self.assertEqual(sts, [])  # cleared after AssumeRole above
        self.client("sts").get_caller_identity()
        self.assertEqual(self.requests(service="sts")[0]["body"]["Action"], "GetCallerIdentity")
        self.assertEqual(self.http("DELETE", "/_hubble/requests")[1]["cleared"], len(everything) + 1)
        self.assertEqual(self.requests(), [])
        self.assertEqual(self.http("PUT", "/_hubble/requests")[0], 405)


if __name__ == "__main__":
    unittest.main()
