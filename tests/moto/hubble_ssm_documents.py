"""SSM document versions for moto 5.2.5, loaded by hubble_moto.py (test infrastructure).

Approvals bind to an exact runbook version, so the AWS-owned Automation runbooks of
runbooks.json get real versions here, following botocore's ssm 2014-11-06 model:
  * DescribeDocument (Name, DocumentVersion, VersionName) and GetDocument (Name,
    DocumentVersion, VersionName, DocumentFormat JSON | YAML) answer for them with Owner
    Amazon, DocumentType Automation, Status Active, DocumentVersion, LatestVersion,
    DefaultVersion, HashType Sha256 and Hash = sha256 hex of the JSON content that GetDocument
    returns (schemaVersion 0.3, description, assumeRole, parameters, mainSteps built from the
    table's parameters and steps). Unknown name -> InvalidDocument; known name, unknown
    DocumentVersion / any VersionName (AWS-owned runbooks have none) -> InvalidDocumentVersion.
  * Version 1 is the table's runbook. A test publishes newer ones, as AWS updating a runbook
    would: the content (so the hash) changes and LatestVersion and DefaultVersion both move to
    the new version. Older versions stay describable and runnable by number.
  * hubble_ssm.py's StartAutomationExecution asks owned_version() which version "$DEFAULT",
    "$LATEST" or a number means, and validates parameters against that version's table.
  * moto's own documents (CreateDocument / UpdateDocument / UpdateDocumentDefaultVersion)
    already keep versions and sha256 hashes; fixed here: DocumentVersion "$DEFAULT" (moto
    answered InvalidDocument), an unknown version of an existing document answers
    InvalidDocumentVersion (moto: InvalidDocument), and UpdateDocument without DocumentVersion
    updates the latest version (moto refused it).

Test-only control endpoint (unsigned, not AWS):

    POST /_hubble/ssm/documents {"name": "AWS-DisablePublicAccessForSecurityGroup",
                                 "account": "123456789012", "region": "us-east-1",
                                 "description": "...", "parameters": {...}, "steps": [...]}
         -> {"document": {"name", "account", "region", "version", "hash", ...}}
            ("version" as account/region, or 123456789012/us-east-1 when omitted, sees it)
    GET  /_hubble/ssm/documents[?name=&account=&region=]
         -> {"documents": [{"name", "account", "region", "latest_version", "default_version",
                            "versions": [{"version", "hash", "created_date", "description",
                                          "parameters", "steps"}]}]}

POST publishes a new version of an AWS-owned runbook. account/region omitted = every account /
every Region (AWS updates a runbook for everyone); the version number is per account and
Region: 1 + the publishes that reach it, in order. parameters (runbooks.json format: {name:
{"type", "required", "default"?, "allowed_values"?}}), steps ([{"name", "action"}]) and
description replace the previous version's; with none of them the description gets a revision
note, so the content always changes. GET lists the versions as seen by account/region
(default 123456789012 / us-east-1); name omitted = every AWS-owned runbook. POST
/moto-api/reset drops every published version.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import threading
from typing import Any

import botocore.session
import yaml

from hubble_ssm import RUNBOOKS, _json

LOCK = threading.RLock()
_MODEL = botocore.session.get_session().get_service_model("ssm")
_PARAM_TYPES = set(_MODEL.shape_for("DocumentParameterType").enum)  # String, StringList
_TABLE_TYPES = {"String", "StringList", "Boolean", "Integer", "MapList", "StringMap"}
DEFAULT_ACCOUNT, DEFAULT_REGION = "123456789012", "us-east-1"
_V1_CREATED = dt.datetime(2023, 1, 1, tzinfo=dt.timezone.utc).timestamp()
_PUBLISHED: list[dict[str, Any]] = []  # append-only until /moto-api/reset
_SERVICES = [("S3", "s3"), ("EC2", "ec2"), ("SecurityGroup", "ec2"), ("Subnet", "ec2"),
             ("Ebs", "ec2"), ("RDS", "rds"), ("IAM", "iam"), ("Lambda", "lambda"),
             ("KeyRotation", "kms"), ("CloudTrail", "cloudtrail"), ("DynamoDb", "dynamodb"),
             ("SNS", "sns")]


# ----------------------------------------------------------------------- content
def _service(name: str) -> str:
    return next((svc for key, svc in _SERVICES if key in name), "ec2")


def _inputs(name: str, book: dict, step: dict) -> dict[str, Any]:
    refs = {p: "{{ %s }}" % p for p in book["parameters"] if p != "AutomationAssumeRole"}
    action = step["action"]
    if action == "aws:executeScript":
        return {"Runtime": "python3.11", "Handler": "handler", "InputPayload": refs,
                "Script": f"def handler(event, context):\n    # {step['name']}\n    return event\n"}
    if action == "aws:changeInstanceState":
        return {"InstanceIds": ["{{ InstanceId }}"],
                "DesiredState": "terminated" if "Terminate" in name else "stopped"}
    if action == "aws:approve":
        return {"Approvers": ["{{ AutomationAssumeRole }}"], "MinRequiredApprovals": 1}
    inputs: dict[str, Any] = {"Service": _service(name), "Api": step["name"], **refs}
    if action in ("aws:assertAwsResourceProperty", "aws:waitForAwsResourceProperty"):
        inputs.update(PropertySelector="$", DesiredValues=["true"])
    return inputs


def build_content(name: str, book: dict) -> dict[str, Any]:
    """The runbook as GetDocument returns it (schema 0.3)."""
    params = {}
    for pname, spec in book["parameters"].items():
        param: dict[str, Any] = {"type": spec["type"], "description": _flag(spec)}
        if "default" in spec:
            param["default"] = spec["default"]
        if spec.get("allowed_values"):
            param["allowedValues"] = list(spec["allowed_values"])
        params[pname] = param
    content: dict[str, Any] = {"schemaVersion": "0.3", "description": book["description"]}
    if "AutomationAssumeRole" in book["parameters"]:
        content["assumeRole"] = "{{ AutomationAssumeRole }}"
    content["parameters"] = params
    steps = book["steps"]
    content["mainSteps"] = [
        {"name": s["name"], "action": s["action"], "onFailure": "Abort",
         "inputs": _inputs(name, book, s), **({"isEnd": True} if i == len(steps) - 1 else {})}
        for i, s in enumerate(steps)]
    return content


def _version_record(name: str, book: dict, created: float, **extra: Any) -> dict[str, Any]:
    text = json.dumps(build_content(name, book), indent=2)
    return {"name": name, "book": book, "content": text, "created_date": created,
            "hash": hashlib.sha256(text.encode()).hexdigest(), **extra}


def _base(name: str) -> dict[str, Any]:
    book = RUNBOOKS[name]
    return _version_record(name, {k: copy.deepcopy(book[k]) for k in
                                  ("description", "parameters", "steps")}, _V1_CREATED,
                           account=None, region=None)


def versions(account: str, region: str, name: str) -> list[dict[str, Any]]:
    """Every version of an AWS-owned runbook as `account` in `region` sees it, oldest first."""
    with LOCK:
        found = [_base(name)] + [p for p in _PUBLISHED if p["name"] == name
                                 and p["account"] in (None, account)
                                 and p["region"] in (None, region)]
    return [dict(v, version=str(i + 1)) for i, v in enumerate(found)]


def owned_version(account: str, region: str, name: str, version: str | None) -> dict | None:
    """$DEFAULT / $LATEST / None (both the newest: AWS moves both) or a number -> version."""
    found = versions(account, region, name)
    if version in (None, "$DEFAULT", "$LATEST"):
        return found[-1]
    return next((v for v in found if v["version"] == version), None)


# ----------------------------------------------------------------------- operations
def _error(code: str, message: str) -> Any:
    status, headers, text = _json(400, {"__type": code, "message": message})
    return status, {**headers, "x-amzn-ErrorType": code}, text


def _owned_request(resp: Any) -> tuple[str, Any] | None:
    """(name, version record | error response) when the call is about an AWS-owned runbook."""
    name = resp._get_param("Name")
    if isinstance(name, str) and name.startswith("arn:"):
        name = name.split("document/", 1)[-1]
    if name not in RUNBOOKS or name in resp.ssm_backend._documents:
        return None
    version, version_name = resp._get_param("DocumentVersion"), resp._get_param("VersionName")
    found = None if version_name else owned_version(resp.current_account, resp.region, name,
                                                    version)
    if found is None:
        return name, _error("InvalidDocumentVersion",
                            "The document version is not valid or does not exist.")
    return name, found


def describe_owned(account: str, region: str, found: dict) -> dict[str, Any]:
    all_versions = versions(account, region, found["name"])
    book = found["book"]
    return {
        "Name": found["name"], "Owner": "Amazon", "DocumentType": "Automation",
        "SchemaVersion": "0.3", "DocumentFormat": "JSON", "Status": "Active",
        "CreatedDate": found["created_date"], "DocumentVersion": found["version"],
        "LatestVersion": all_versions[-1]["version"], "DefaultVersion": all_versions[-1]["version"],
        "Description": book["description"], "PlatformTypes": ["Windows", "Linux", "MacOS"],
        "HashType": "Sha256", "Hash": found["hash"], "Tags": [],
        "Parameters": [{"Name": p, "Type": s["type"] if s["type"] in _PARAM_TYPES else "String",
                        "Description": _flag(s),
                        **({"DefaultValue": _text(s["default"])} if "default" in s else {})}
                       for p, s in book["parameters"].items()]}


def _flag(spec: dict) -> str:
    return "(Required)" if spec["required"] else "(Optional)"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def get_owned(found: dict, document_format: str | None) -> dict[str, Any]:
    content = found["content"]
    if document_format == "YAML":
        content = yaml.safe_dump(json.loads(content), sort_keys=False)
    return {"Name": found["name"], "CreatedDate": found["created_date"],
            "DocumentVersion": found["version"], "Status": "Active", "Content": content,
            "DocumentType": "Automation", "DocumentFormat": document_format or "JSON",
            "Requires": [], "AttachmentsContent": []}


# ----------------------------------------------------------------------- control endpoint
def _check_book(name: str, spec: dict, scope: tuple[str, str]) -> dict[str, Any]:
    previous = versions(*scope, name)[-1]["book"]
    book = copy.deepcopy(previous)
    params, steps, desc = spec.get("parameters"), spec.get("steps"), spec.get("description")
    if params is not None:
        if not isinstance(params, dict) or not all(
                isinstance(p, str) and p and isinstance(s, dict) and s.get("type") in _TABLE_TYPES
                and isinstance(s.get("required", False), bool)
                and not (s.get("required") and "default" in s)
                and isinstance(s.get("allowed_values", []), list) for p, s in params.items()):
            raise ValueError("'parameters' must map names to {\"type\": String|StringList|"
                             "Boolean|Integer|..., \"required\": bool, \"default\"?, "
                             "\"allowed_values\"?} (no default on a required parameter)")
        book["parameters"] = {p: dict(s, required=bool(s.get("required"))) for p, s in params.items()}
    if steps is not None:
        if not isinstance(steps, list) or not steps or not all(
                isinstance(s, dict) and isinstance(s.get("name"), str) and s["name"]
                and isinstance(s.get("action"), str) and s["action"].startswith("aws:")
                for s in steps):
            raise ValueError("'steps' must be a non-empty list of {\"name\", \"action\": \"aws:...\"}")
        book["steps"] = [{"name": s["name"], "action": s["action"]} for s in steps]
    if desc is not None:
        if not isinstance(desc, str) or not desc.strip():
            raise ValueError("'description' must be a non-empty string")
        book["description"] = desc
    if params is None and steps is None and desc is None:
        book["description"] = f"{RUNBOOKS[name]['description']} (revision {len(_PUBLISHED) + 2})"
    return book


def control_documents(method: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
    if method == "GET":
        names = [query["name"]] if "name" in query else sorted(RUNBOOKS)
        if any(n not in RUNBOOKS for n in names):
            raise ValueError(f"{query['name']} is not an AWS-owned runbook of runbooks.json")
        account, region = query.get("account", DEFAULT_ACCOUNT), query.get("region", DEFAULT_REGION)
        out = []
        for name in names:
            found = versions(account, region, name)
            out.append({"name": name, "account": account, "region": region,
                        "latest_version": found[-1]["version"],
                        "default_version": found[-1]["version"],
                        "versions": [{k: v[k] for k in ("version", "hash", "created_date")}
                                     | {"description": v["book"]["description"],
                                        "parameters": v["book"]["parameters"],
                                        "steps": v["book"]["steps"]} for v in found]})
        return 200, {"documents": out}
    if method != "POST":
        return 405, {"message": f"method {method} not allowed"}
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    unknown = set(body) - {"name", "account", "region", "description", "parameters", "steps"}
    if unknown:
        raise ValueError(f"unknown keys: {sorted(unknown)}")
    name = body.get("name")
    if name not in RUNBOOKS:
        raise ValueError(f"'name' must be an AWS-owned runbook of runbooks.json, not {name!r}")
    for key in ("account", "region"):
        if body.get(key) is not None and (not isinstance(body[key], str) or not body[key]):
            raise ValueError(f"'{key}' must be a non-empty string")
    scope = (body.get("account") or DEFAULT_ACCOUNT, body.get("region") or DEFAULT_REGION)
    with LOCK:
        book = _check_book(name, body, scope)
        record = _version_record(name, book, dt.datetime.now(dt.timezone.utc).timestamp(),
                                 account=body.get("account"), region=body.get("region"))
        if record["hash"] == versions(*scope, name)[-1]["hash"]:
            raise ValueError("the new version's content equals the current version's")
        _PUBLISHED.append(record)
        seen = versions(*scope, name)[-1]
    return 200, {"document": {"name": name, "account": record["account"], "region": record["region"],
                              "version": seen["version"], "hash": record["hash"],
                              "created_date": record["created_date"],
                              "description": book["description"]}}


CONTROL_ROUTES = {"/_hubble/ssm/documents": control_documents}


# ----------------------------------------------------------------------- install
def _patch_moto_documents() -> None:
    from moto.ssm.exceptions import InvalidDocumentVersion
    from moto.ssm.models import Documents, SimpleSystemManagerBackend

    original_find = Documents.find

    def find(self: Any, document_version: str | None = None, version_name: str | None = None,
             strict: bool = True) -> Any:
        if document_version == "$DEFAULT":
            document_version = self.default_version
        found = original_find(self, document_version, version_name, strict=False)
        if found is None and strict:
            raise InvalidDocumentVersion("The document version is not valid or does not exist.")
        return found

    def update_default_version(self: Any, version: str) -> Any:
        if self.find_by_version(version) is None:
            raise InvalidDocumentVersion("The document version is not valid or does not exist.")
        self.default_version = version
        return self.versions[version]

    original_update = SimpleSystemManagerBackend.update_document

    def update_document(self: Any, content: str, attachments: Any, name: str, version_name: str,
                        document_version: str | None, document_format: str, target_type: str) -> Any:
        return original_update(self, content, attachments, name, version_name,
                               document_version or "$LATEST", document_format, target_type)

    Documents.find = find
    Documents.update_default_version = update_default_version
    SimpleSystemManagerBackend.update_document = update_document


def install() -> None:
    from moto.core.base_backend import BackendDict
    from moto.ssm.responses import SimpleSystemManagerResponse as R

    _patch_moto_documents()
    original_describe, original_get = R.describe_document, R.get_document

    def describe_document(self: Any) -> Any:
        owned = _owned_request(self)
        if owned is None:
            return original_describe(self)
        name, found = owned
        if not isinstance(found, dict):
            return found
        return _json(200, {"Document": describe_owned(self.current_account, self.region, found)})

    def get_document(self: Any) -> Any:
        owned = _owned_request(self)
        if owned is None:
            return original_get(self)
        name, found = owned
        if not isinstance(found, dict):
            return found
        fmt = self._get_param("DocumentFormat") or "JSON"
        if fmt not in ("JSON", "YAML"):
            return _error("ValidationException", f"1 validation error detected: Value '{fmt}' "
                          "at 'documentFormat' failed to satisfy constraint: Automation runbooks "
                          "are available as JSON or YAML")
        return _json(200, get_owned(found, fmt))

    R.describe_document = describe_document
    R.get_document = get_document

    original_reset = BackendDict.reset.__func__

    def reset(cls: Any) -> None:
        original_reset(cls)
        with LOCK:
            _PUBLISHED.clear()

    BackendDict.reset = classmethod(reset)
