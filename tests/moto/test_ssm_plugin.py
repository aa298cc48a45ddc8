"""Tests of the SSM Automation plugin (hubble_ssm.py) of the moto plugin server, through boto3.

Run: python -m unittest discover -s tests/moto -p 'test_*.py' -v
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import unittest
import urllib.parse
import urllib.request
import uuid

import boto3
from server_case import ServerTestCase
from botocore.exceptions import ClientError

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_ACCOUNT = "123456789012"
REGION = "us-east-1"
TERMINATE = "AWS-TerminateEC2Instance"
ROLE = "arn:aws:iam::123456789012:role/hubble-remediation"
TERMINAL = {"Success", "Failed", "TimedOut", "Cancelled"}


def approval_document(approve: bool = True) -> str:
    steps = [{"name": "approveChange", "action": "aws:approve", "timeoutSeconds": 600,
              "inputs": {"Approvers": ["{{ Approver }}"], "MinRequiredApprovals": 1}}] if approve else []
    steps += [{"name": "doWork", "action": "aws:executeAwsApi",
               "inputs": {"Service": "ec2", "Api": "DescribeInstances"}},
              {"name": "verify", "action": "aws:assertAwsResourceProperty",
               "inputs": {"Service": "ec2", "Api": "DescribeInstances"}}]
    return json.dumps({
        "schemaVersion": "0.3", "description": "hubble test runbook",
        "parameters": {"Approver": {"type": "String"},
                       "Target": {"type": "StringList"},
                       "Level": {"type": "String", "default": "low", "allowedValues": ["low", "high"]}},
        "mainSteps": steps})


class SsmPluginTest(ServerTestCase):
    service = "ssm"

    def setUp(self) -> None:
        self.http("POST", "/moto-api/reset")
        self.http("DELETE", "/_hubble/faults")
        self.http("DELETE", "/_hubble/ssm/outcomes")
        self.outcome(duration_ms=300)  # every run takes 0.3 s unless a test says otherwise

    # ----------------------------------------------------------------- helpers
    def outcome(self, **rule) -> None:
        status, body = self.http("POST", "/_hubble/ssm/outcomes", rule)
        self.assertEqual(status, 200, body)

    def executions(self, **query) -> list[dict]:
        qs = f"?{urllib.parse.urlencode(query)}" if query else ""
        return self.http("GET", "/_hubble/ssm/executions" + qs)[1]["executions"]

    def start(self, ssm=None, document: str = TERMINATE, **kwargs) -> str:
        if document == TERMINATE:
            kwargs.setdefault("Parameters", {"InstanceId": ["i-0123456789abcdef0"]})
        return (ssm or self.client()).start_automation_execution(
            DocumentName=document, **kwargs)["AutomationExecutionId"]

    def poll(self, ssm, exec_id: str, until: set[str], timeout: float = 10) -> tuple[list[str], dict]:
        """Statuses seen (without repeats) until one in `until`, and the last execution."""
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while True:
            ex = ssm.get_automation_execution(AutomationExecutionId=exec_id)["AutomationExecution"]
            status = ex["AutomationExecutionStatus"]
            if not seen or seen[-1] != status:
                seen.append(status)
            if status in until:
                return seen, ex
            if time.monotonic() > deadline:
                self.fail(f"execution stayed {status}; seen {seen}")
            time.sleep(0.03)

    def assert_error(self, ctx, code: str, status: int = 400) -> None:
        err = ctx.exception.response
        self.assertEqual(err["Error"]["Code"], code, err)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], status)

    # ----------------------------------------------------------------- client token
    def test_same_client_token_and_input_returns_same_execution(self) -> None:
        ssm, token = self.client(), str(uuid.uuid4())
        first = self.start(ssm, ClientToken=token)
        self.assertEqual(len(first), 36)
        self.assertEqual(self.start(ssm, ClientToken=token), first)
        self.assertEqual(self.start(ssm, ClientToken=token.upper()), first)  # case-insensitive
        runs = self.executions()
        self.assertEqual(len(runs), 1)
        self.assertEqual((runs[0]["id"], runs[0]["client_token"], runs[0]["start_requests"]),
                         (first, token, 3))
        self.assertNotEqual(self.start(ssm, ClientToken=str(uuid.uuid4())), first)
        self.assertNotEqual(self.start(ssm), self.start(ssm))  # no token: a new run every time
        self.assertEqual(len(self.executions()), 4)

    def test_same_client_token_with_other_input_is_a_mismatch(self) -> None:
        ssm, token = self.client(), str(uuid.uuid4())
        self.start(ssm, ClientToken=token)
        for other in ({"Parameters": {"InstanceId": ["i-other"]}},
                      {"Parameters": {"InstanceId": ["i-0123456789abcdef0"]}, "Mode": "Interactive"},
                      {"Parameters": {"InstanceId": ["i-0123456789abcdef0"]},
                       "Tags": [{"Key": "k", "Value": "v"}]}):
            with self.assertRaises(ClientError) as ctx:
                self.start(ssm, ClientToken=token, **other)
            self.assert_error(ctx, "IdempotentParameterMismatch")
        with self.assertRaises(ClientError) as ctx:
            self.start(ssm, document="AWS-StopEC2Instance", ClientToken=token,
                       Parameters={"InstanceId": ["i-0123456789abcdef0"]})
        self.assert_error(ctx, "IdempotentParameterMismatch")
        self.assertEqual(len(self.executions()), 1)

    def test_client_token_must_be_a_uuid(self) -> None:
        loose = self.client(validate=False)
        for token in ("x" * 36, "not-a-uuid", str(uuid.uuid4()) + "0"):
            with self.assertRaises(ClientError) as ctx:
                self.start(loose, ClientToken=token)
            self.assert_error(ctx, "ValidationException")
            self.assertIn("clientToken", ctx.exception.response["Error"]["Message"])
        self.assertEqual(self.executions(), [])

    # ----------------------------------------------------------------- documents, parameters
    def test_unknown_document_and_version(self) -> None:
        ssm = self.client()
        with self.assertRaises(ClientError) as ctx:
            self.start(ssm, document="AWS-NoSuchRunbook")
        self.assert_error(ctx, "AutomationDefinitionNotFoundException")
        ssm.create_document(Name="hubble-command", DocumentType="Command", Content=json.dumps(
            {"schemaVersion": "2.2", "mainSteps": [{"action": "aws:runShellScript", "name": "run",
                                                    "inputs": {"runCommand": ["date"]}}]}))
        with self.assertRaises(ClientError) as ctx:
            self.start(ssm, document="hubble-command")
        self.assert_error(ctx, "AutomationDefinitionNotFoundException")
        with self.assertRaises(ClientError) as ctx:
            self.start(ssm, DocumentVersion="7")
        self.assert_error(ctx, "AutomationDefinitionVersionNotFoundException")
        with self.assertRaises(ClientError) as ctx:
            self.start(self.client(validate=False), document="x")  # too short for the pattern
        self.assert_error(ctx, "ValidationException")
        self.assertEqual(self.executions(), [])

    def test_parameters_are_checked_against_the_runbook(self) -> None:
        ssm = self.client()
        bad = [
            (TERMINATE, None, "InstanceId"),                                 # required missing
            (TERMINATE, {"InstanceId": []}, "InstanceId"),                   # empty = missing
            (TERMINATE, {"InstanceId": ["i-1"], "Force": ["true"]}, "Force"),  # not in runbook
            ("AWSConfigRemediation-EnableKeyRotation", {"KeyId": ["k"]}, "AutomationAssumeRole"),
            ("AWSConfigRemediation-SetIAMPasswordPolicy",
             {"AutomationAssumeRole": [ROLE], "RequireNumbers": ["yes"]}, "RequireNumbers"),
            ("AWSConfigRemediation-SetIAMPasswordPolicy",
             {"AutomationAssumeRole": [ROLE], "MinimumPasswordLength": ["fourteen"]}, "MinimumPasswordLength"),
            ("AWS-ConfigureS3BucketVersioning", {"BucketName": ["b"], "VersioningState": ["On"]},
             "VersioningState"),
            ("AWS-EnableS3BucketEncryption", {"BucketName": ["a", "b"]}, "BucketName"),  # String: one value
        ]
        for document, params, mentioned in bad:
            with self.subTest(document=document, params=params), self.assertRaises(ClientError) as ctx:
                ssm.start_automation_execution(DocumentName=document,
                                               **({"Parameters": params} if params is not None else {}))
            self.assert_error(ctx, "InvalidAutomationExecutionParametersException")
            self.assertIn(mentioned, ctx.exception.response["Error"]["Message"])
        with self.assertRaises(ClientError) as ctx:  # the model's AutomationParameterMap: 1-200 entries
            ssm.start_automation_execution(DocumentName=TERMINATE, Parameters={})
        self.assert_error(ctx, "ValidationException")
        self.assertEqual(self.executions(), [])
        exec_id = self.start(ssm, document="AWSConfigRemediation-SetIAMPasswordPolicy",
                             Parameters={"AutomationAssumeRole": [ROLE], "RequireNumbers": ["true"]})
        params = ssm.get_automation_execution(AutomationExecutionId=exec_id)["AutomationExecution"]["Parameters"]
        self.assertEqual(params["RequireNumbers"], ["true"])
        self.assertEqual(params["MinimumPasswordLength"], ["6"])  # documented default filled in

    def test_runbook_table(self) -> None:
        with open(os.path.join(HERE, "runbooks.json")) as f:
            table = json.load(f)
        for name in ("AWSConfigRemediation-ConfigureS3PublicAccessBlock",
                     "AWSConfigRemediation-RemoveUnrestrictedSourceIngressRules",
                     "AWS-DisablePublicAccessForSecurityGroup", TERMINATE):
            self.assertIn(name, table)
        ssm = self.client()
        for name, book in table.items():
            with self.subTest(runbook=name):
                self.assertLessEqual({"parameters", "description", "destructive"}, set(book))
                self.assertIsInstance(book["destructive"], bool)
                for pname, spec in book["parameters"].items():
                    self.assertIn(spec["type"], {"String", "StringList", "Boolean", "Integer"})
                    self.assertFalse(spec["required"] and "default" in spec, pname)
                required = {p: [ROLE if p == "AutomationAssumeRole" else "x"]
                            for p, s in book["parameters"].items() if s["required"]}
                allowed = {p: s["allowed_values"][:1] for p, s in book["parameters"].items()
                           if s["required"] and s.get("allowed_values")}
                params = {**required, **allowed}
                self.start(ssm, document=name, **({"Parameters": params} if params else {}))
                doc = ssm.describe_document(Name=name)["Document"]
                self.assertEqual((doc["Owner"], doc["DocumentType"]), ("Amazon", "Automation"))
                self.assertEqual({p["Name"] for p in doc["Parameters"]}, set(book["parameters"]))
        self.assertEqual(len(self.executions()), len(table))

    # ----------------------------------------------------------------- lifecycle
    def test_success_lifecycle_with_default_timing(self) -> None:
        self.http("DELETE", "/_hubble/ssm/outcomes")  # the default ~1 s run
        ssm = self.client()
        began = time.monotonic()
        exec_id = self.start(ssm, Tags=[{"Key": "hubble", "Value": "test"}])
        seen, ex = self.poll(ssm, exec_id, TERMINAL)
        self.assertEqual(seen, ["Pending", "InProgress", "Success"])
        self.assertGreater(time.monotonic() - began, 0.8)
        self.assertEqual(ex["DocumentName"], TERMINATE)
        self.assertEqual(ex["Mode"], "Auto")
        self.assertEqual(ex["Parameters"], {"InstanceId": ["i-0123456789abcdef0"]})
        self.assertEqual(ex["ExecutedBy"], f"arn:aws:sts::{DEFAULT_ACCOUNT}:user/moto")
        self.assertLess(ex["ExecutionStartTime"], ex["ExecutionEndTime"])
        self.assertNotIn("FailureMessage", ex)
        steps = ex["StepExecutions"]
        self.assertEqual([s["StepStatus"] for s in steps], ["Success", "Success"])
        self.assertEqual(steps[0]["Action"], "aws:changeInstanceState")
        self.assertEqual((ex["CurrentStepName"], ex["CurrentAction"]),
                         (steps[-1]["StepName"], steps[-1]["Action"]))
        for a, b in zip(steps, steps[1:]):
            self.assertLessEqual(a["ExecutionEndTime"], b["ExecutionStartTime"])

    def test_failure_with_message(self) -> None:
        self.outcome(document=TERMINATE, outcome="Failed", count=1,
                     failure_message="UnauthorizedOperation: not allowed to terminate")
        ssm = self.client()
        seen, ex = self.poll(ssm, self.start(ssm), TERMINAL)
        self.assertEqual(seen[-1], "Failed")
        self.assertEqual(ex["FailureMessage"], "UnauthorizedOperation: not allowed to terminate")
        self.assertEqual([s["StepStatus"] for s in ex["StepExecutions"]], ["Success", "Failed"])
        self.assertEqual(ex["StepExecutions"][1]["FailureMessage"], ex["FailureMessage"])
        self.assertIn("ExecutionEndTime", ex)
        _, ex = self.poll(ssm, self.start(ssm), TERMINAL)  # count=1: the next run succeeds
        self.assertEqual(ex["AutomationExecutionStatus"], "Success")
        self.outcome(outcome="TimedOut")  # wildcard rule, any document
        _, ex = self.poll(ssm, self.start(ssm, document="AWS-StopEC2Instance",
                                          Parameters={"InstanceId": ["i-1"]}), TERMINAL)
        self.assertEqual(ex["AutomationExecutionStatus"], "TimedOut")
        self.assertEqual(ex["StepExecutions"][-1]["StepStatus"], "TimedOut")

    def test_waiting_then_approve_runs_to_success(self) -> None:
        self.outcome(document=TERMINATE, outcome="Waiting")
        ssm = self.client()
        exec_id = self.start(ssm)
        seen, ex = self.poll(ssm, exec_id, {"Waiting"} | TERMINAL)
        self.assertEqual(seen[-1], "Waiting")
        time.sleep(0.5)  # it stays there
        ex = ssm.get_automation_execution(AutomationExecutionId=exec_id)["AutomationExecution"]
        self.assertEqual(ex["AutomationExecutionStatus"], "Waiting")
        self.assertEqual((ex["CurrentStepName"], ex["CurrentAction"]), ("approve", "aws:approve"))
        self.assertEqual([s["StepStatus"] for s in ex["StepExecutions"]], ["Waiting", "Pending", "Pending"])
        ssm.send_automation_signal(AutomationExecutionId=exec_id, SignalType="Approve",
                                   Payload={"Comment": ["looks good"]})
        _, ex = self.poll(ssm, exec_id, TERMINAL)
        self.assertEqual(ex["AutomationExecutionStatus"], "Success")
        approve = ex["StepExecutions"][0]
        self.assertEqual((approve["StepStatus"], approve["Outputs"]["ApprovalStatus"]),
                         ("Success", ["Approved"]))
        self.assertIn("looks good", approve["Outputs"]["ApproverDecisions"][0])
        with self.assertRaises(ClientError) as ctx:  # nothing waits any more
            ssm.send_automation_signal(AutomationExecutionId=exec_id, SignalType="Approve")
        self.assert_error(ctx, "InvalidAutomationSignalException")
        self.assertEqual(self.executions()[0]["signals"][0]["type"], "Approve")

    def test_waiting_then_reject_fails_the_run(self) -> None:
        self.outcome(outcome="Waiting")
        ssm = self.client()
        exec_id = self.start(ssm)
        self.poll(ssm, exec_id, {"Waiting"})
        ssm.send_automation_signal(AutomationExecutionId=exec_id, SignalType="Reject",
                                   Payload={"Comment": ["not during business hours"]})
        ex = ssm.get_automation_execution(AutomationExecutionId=exec_id)["AutomationExecution"]
        self.assertEqual(ex["AutomationExecutionStatus"], "Failed")
        self.assertIn("not during business hours", ex["FailureMessage"])
        steps = ex["StepExecutions"]
        self.assertEqual([s["StepStatus"] for s in steps], ["Failed", "Pending", "Pending"])
        self.assertEqual(steps[0]["Outputs"]["ApprovalStatus"], ["Rejected"])
        self.assertIn("ExecutionEndTime", ex)
        time.sleep(0.4)  # and nothing runs afterwards
        ex = ssm.get_automation_execution(AutomationExecutionId=exec_id)["AutomationExecution"]
        self.assertEqual([s["StepStatus"] for s in ex["StepExecutions"]], ["Failed", "Pending", "Pending"])

    def test_created_document_with_approve_step(self) -> None:
        ssm = self.client()
        ssm.create_document(Name="hubble-approve", DocumentType="Automation", Content=approval_document())
        with self.assertRaises(ClientError) as ctx:
            self.start(ssm, document="hubble-approve", Parameters={"Approver": ["me"]})
        self.assert_error(ctx, "InvalidAutomationExecutionParametersException")
        self.assertIn("Target", ctx.exception.response["Error"]["Message"])
        with self.assertRaises(ClientError) as ctx:
            self.start(ssm, document="hubble-approve",
                       Parameters={"Approver": ["me"], "Target": ["a"], "Level": ["max"]})
        self.assert_error(ctx, "InvalidAutomationExecutionParametersException")
        exec_id = self.start(ssm, document="hubble-approve", DocumentVersion="$LATEST",
                             Parameters={"Approver": ["me"], "Target": ["a", "b"]})
        _, ex = self.poll(ssm, exec_id, {"Waiting"})
        self.assertEqual([(s["StepName"], s["Action"]) for s in ex["StepExecutions"]],
                         [("approveChange", "aws:approve"), ("doWork", "aws:executeAwsApi"),
                          ("verify", "aws:assertAwsResourceProperty")])
        self.assertEqual(ex["StepExecutions"][0]["TimeoutSeconds"], 600)
        self.assertEqual(ex["Parameters"]["Level"], ["low"])
        self.assertEqual(ex["DocumentVersion"], "1")
        ssm.send_automation_signal(AutomationExecutionId=exec_id, SignalType="Approve")
        seen, ex = self.poll(ssm, exec_id, TERMINAL)
        self.assertEqual(seen[-1], "Success")
        self.assertNotIn("Waiting", seen)
        ssm.create_document(Name="hubble-plain", DocumentType="Automation",
                            Content=approval_document(approve=False))
        _, ex = self.poll(ssm, self.start(ssm, document="hubble-plain",
                                          Parameters={"Approver": ["me"], "Target": ["a"]}), TERMINAL)
        self.assertEqual([s["StepName"] for s in ex["StepExecutions"]], ["doWork", "verify"])

    def test_stop_cancels_running_and_waiting_runs(self) -> None:
        self.outcome(document=TERMINATE, duration_ms=5000)
        ssm = self.client()
        running = self.start(ssm)
        self.poll(ssm, running, {"InProgress"})
        ssm.stop_automation_execution(AutomationExecutionId=running, Type="Cancel")
        ex = ssm.get_automation_execution(AutomationExecutionId=running)["AutomationExecution"]
        self.assertEqual(ex["AutomationExecutionStatus"], "Cancelling")
        seen, ex = self.poll(ssm, running, TERMINAL)
        self.assertEqual(seen[-1], "Cancelled")
        self.assertEqual([s["StepStatus"] for s in ex["StepExecutions"]], ["Cancelled", "Pending"])
        with self.assertRaises(ClientError) as ctx:
            ssm.stop_automation_execution(AutomationExecutionId=running)
        self.assert_error(ctx, "InvalidAutomationStatusUpdateException")
        self.outcome(document="AWS-StopEC2Instance", outcome="Waiting")
        waiting = self.start(ssm, document="AWS-StopEC2Instance", Parameters={"InstanceId": ["i-1"]})
        self.poll(ssm, waiting, {"Waiting"})
        ssm.stop_automation_execution(AutomationExecutionId=waiting)  # Type defaults to Cancel
        _, ex = self.poll(ssm, waiting, TERMINAL)
        self.assertEqual(ex["AutomationExecutionStatus"], "Cancelled")
        with self.assertRaises(ClientError) as ctx:
            ssm.send_automation_signal(AutomationExecutionId=waiting, SignalType="Approve")
        self.assert_error(ctx, "InvalidAutomationSignalException")
        _, ex = self.poll(ssm, self.start(ssm, document="AWS-StopEC2Instance",
                                          Parameters={"InstanceId": ["i-2"]}), {"Waiting"})
        with self.assertRaises(ClientError) as ctx:  # only Approve/Reject are simulated
            ssm.send_automation_signal(AutomationExecutionId=ex["AutomationExecutionId"],
                                       SignalType="Resume", Payload={"StepName": ["approve"]})
        self.assert_error(ctx, "InvalidAutomationSignalException")

    def test_unknown_execution_ids(self) -> None:
        ssm, missing = self.client(), str(uuid.uuid4())
        for call in (lambda: ssm.get_automation_execution(AutomationExecutionId=missing),
                     lambda: ssm.stop_automation_execution(AutomationExecutionId=missing),
                     lambda: ssm.send_automation_signal(AutomationExecutionId=missing,
                                                        SignalType="Approve")):
            with self.assertRaises(ClientError) as ctx:
                call()
            self.assert_error(ctx, "AutomationExecutionNotFoundException")
        with self.assertRaises(ClientError) as ctx:
            self.client(validate=False).get_automation_execution(AutomationExecutionId="short")
        self.assert_error(ctx, "ValidationException")

    # ----------------------------------------------------------------- describe
    def test_describe_filters_and_paging(self) -> None:
        ssm = self.client()
        self.outcome(document="AWS-StopEC2Instance", outcome="Waiting")
        self.outcome(document="AWSConfigRemediation-EnableKeyRotation", outcome="Failed")
        ids = {"terminate": [self.start(ssm, Tags=[{"Key": "team", "Value": "sec"}]) for _ in range(3)]}
        ids["stop"] = [self.start(ssm, document="AWS-StopEC2Instance", Parameters={"InstanceId": ["i-1"]})]
        ids["key"] = [self.start(ssm, document="AWSConfigRemediation-EnableKeyRotation",
                                 Parameters={"AutomationAssumeRole": [ROLE], "KeyId": ["k"]})]
        middle = dt.datetime.now(dt.timezone.utc)
        time.sleep(0.05)
        ids["late"] = [self.start(ssm)]
        for exec_id in ids["terminate"] + ids["key"] + ids["late"]:
            self.poll(ssm, exec_id, TERMINAL)
        self.poll(ssm, ids["stop"][0], {"Waiting"})

        def found(*filters, **kwargs) -> list[str]:
            out, token = [], None
            while True:
                page = ssm.describe_automation_executions(
                    **({"Filters": list(filters)} if filters else {}),
                    **({"NextToken": token} if token else {}), **kwargs)
                out += [m["AutomationExecutionId"] for m in page["AutomationExecutionMetadataList"]]
                token = page.get("NextToken")
                if not token:
                    return out

        f = lambda key, *values: {"Key": key, "Values": list(values)}
        everything = ids["terminate"] + ids["stop"] + ids["key"] + ids["late"]
        self.assertEqual(sorted(found()), sorted(everything))
        self.assertEqual(found(MaxResults=2), found())  # paging: same order, no repeats
        self.assertEqual(found()[0], ids["late"][0])   # newest first
        self.assertEqual(sorted(found(f("DocumentNamePrefix", "AWS-"))),
                         sorted(ids["terminate"] + ids["stop"] + ids["late"]))
        self.assertEqual(sorted(found(f("DocumentNamePrefix", "AWSConfig", "AWS-Stop"))),
                         sorted(ids["key"] + ids["stop"]))
        self.assertEqual(found(f("ExecutionStatus", "Waiting")), ids["stop"])
        self.assertEqual(sorted(found(f("ExecutionStatus", "Failed", "Waiting"))),
                         sorted(ids["key"] + ids["stop"]))
        self.assertEqual(found(f("ExecutionId", ids["key"][0])), ids["key"])
        self.assertEqual(found(f("CurrentAction", "aws:approve")), ids["stop"])
        self.assertEqual(sorted(found(f("TagKey", "team"))), sorted(ids["terminate"]))
        stamp = middle.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self.assertEqual(found(f("StartTimeAfter", stamp)), ids["late"])
        self.assertEqual(len(found(f("StartTimeBefore", stamp))), len(everything) - 1)
        self.assertEqual(found(f("StartTimeAfter", stamp), f("DocumentNamePrefix", "AWSConfig")), [])
        self.assertEqual(found(f("ParentExecutionId", ids["key"][0])), [])
        meta = ssm.describe_automation_executions(
            Filters=[f("ExecutionId", ids["key"][0])])["AutomationExecutionMetadataList"][0]
        self.assertEqual((meta["DocumentName"], meta["AutomationExecutionStatus"], meta["AutomationType"]),
                         ("AWSConfigRemediation-EnableKeyRotation", "Failed", "Local"))
        self.assertIn("FailureMessage", meta)
        loose = self.client(validate=False)
        for kwargs, code in (({"Filters": [f("Colour", "red")]}, "InvalidFilterKey"),
                             ({"Filters": [f("ExecutionStatus", "Done")]}, "InvalidFilterValue"),
                             ({"Filters": [f("StartTimeAfter", "yesterday")]}, "InvalidFilterValue"),
                             ({"MaxResults": 51}, "ValidationException"),
                             ({"MaxResults": 0}, "ValidationException"),
                             ({"NextToken": "garbage"}, "InvalidNextToken")):
            with self.subTest(kwargs=kwargs), self.assertRaises(ClientError) as ctx:
                loose.describe_automation_executions(**kwargs)
            self.assert_error(ctx, code)
        token = ssm.describe_automation_executions(MaxResults=1)["NextToken"]
        with self.assertRaises(ClientError) as ctx:  # a token belongs to its filters
            ssm.describe_automation_executions(MaxResults=1, NextToken=token,
                                               Filters=[f("DocumentNamePrefix", "AWS")])
        self.assert_error(ctx, "InvalidNextToken")

    # ----------------------------------------------------------------- accounts, faults, endpoints
    def test_accounts_are_separate(self) -> None:
        role = self.client("sts").assume_role(
            RoleArn="arn:aws:iam::222222222222:role/hubble-remediation",
            RoleSessionName="hubble")["Credentials"]
        mine, theirs = self.client(), self.client(creds=role)
        token = str(uuid.uuid4())
        their_id = self.start(theirs, ClientToken=token)
        my_id = self.start(mine, ClientToken=token)  # same token, other account: a new run
        self.assertNotEqual(my_id, their_id)
        with self.assertRaises(ClientError) as ctx:
            mine.get_automation_execution(AutomationExecutionId=their_id)
        self.assert_error(ctx, "AutomationExecutionNotFoundException")
        ex = theirs.get_automation_execution(AutomationExecutionId=their_id)["AutomationExecution"]
        self.assertEqual(ex["ExecutedBy"], "arn:aws:sts::222222222222:assumed-role/hubble-remediation/hubble")
        listed = lambda c: [m["AutomationExecutionId"] for m in
                            c.describe_automation_executions()["AutomationExecutionMetadataList"]]
        self.assertEqual((listed(mine), listed(theirs)), ([my_id], [their_id]))
        self.assertEqual([r["id"] for r in self.executions(account="222222222222")], [their_id])
        self.assertEqual({r["account"] for r in self.executions()}, {DEFAULT_ACCOUNT, "222222222222"})

    def test_fault_endpoint_covers_automation_operations(self) -> None:
        ssm = self.client()
        self.http("POST", "/_hubble/faults", {"operation": "StartAutomationExecution",
                                              "error": "ThrottlingException", "service": "ssm"})
        with self.assertRaises(ClientError) as ctx:
            self.start(ssm, ClientToken=str(uuid.uuid4()))
        self.assert_error(ctx, "ThrottlingException", 429)
        self.assertEqual(self.executions(), [])
        exec_id = self.start(ssm)
        self.http("POST", "/_hubble/faults", {"operation": "GetAutomationExecution",
                                              "error": "InternalServerError", "count": 2})
        for _ in range(2):
            with self.assertRaises(ClientError) as ctx:
                ssm.get_automation_execution(AutomationExecutionId=exec_id)
            self.assert_error(ctx, "InternalServerError", 500)
        self.assertEqual(ssm.get_automation_execution(
            AutomationExecutionId=exec_id)["AutomationExecution"]["AutomationExecutionId"], exec_id)

    def test_outcome_endpoint(self) -> None:
        self.assertEqual(self.http("POST", "/_hubble/ssm/outcomes", {"outcome": "Exploded"})[0], 400)
        self.assertEqual(self.http("POST", "/_hubble/ssm/outcomes", {"count": 0})[0], 400)
        self.assertEqual(self.http("POST", "/_hubble/ssm/outcomes", {"colour": "red"})[0], 400)
        self.assertEqual(self.http("PUT", "/_hubble/ssm/executions")[0], 405)
        self.outcome(document=TERMINATE, outcome="Failed", count=2)
        rules = self.http("GET", "/_hubble/ssm/outcomes")[1]["outcomes"]
        self.assertEqual([(r["document"], r["count"]) for r in rules], [(None, None), (TERMINATE, 2)])
        ssm = self.client()
        results = [self.poll(ssm, self.start(ssm), TERMINAL)[1]["AutomationExecutionStatus"]
                   for _ in range(3)]
        self.assertEqual(results, ["Failed", "Failed", "Success"])
        self.assertEqual(len(self.http("GET", "/_hubble/ssm/outcomes")[1]["outcomes"]), 1)
        self.assertEqual(self.http("DELETE", "/_hubble/ssm/outcomes"), (200, {"cleared": 1}))
        self.assertEqual([r["status"] for r in self.executions(status="Failed")], ["Failed", "Failed"])


if __name__ == "__main__":
    unittest.main()
