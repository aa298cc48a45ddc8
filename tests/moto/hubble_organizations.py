"""AWS Organizations additions to moto 5.2.5, loaded by hubble_moto.py (test infrastructure).

The console names accounts from organizations:ListAccounts (and falls back to its config when
it may not). moto's ListAccounts answered any caller with the caller's own (usually empty) list,
ignored the model's MaxResults limit (1-20) and paged on JoinedTimestamp; and its CreateAccount
makes random account ids. Following botocore's organizations 2016-11-28 model (JSON 1.1):
  * ListAccounts: the management account, or a member that is a delegated administrator (any
    service; EnableOrganizationAdminAccount makes the Security Hub admin one), sees every
    account of the organization (Id, Arn, Email, Name, Status, State, JoinedMethod,
    JoinedTimestamp), oldest first; another member gets AccessDeniedException ("You don't have
    permissions to access this resource."), an account outside any organization
    AWSOrganizationsNotInUseException -- the model's "You can only call this operation from the
    management account or a member account that is a delegated administrator". MaxResults 1-20
    (default 20) and NextToken per the model; bad ones answer InvalidInputException with Reason
    MIN_VALUE_EXCEEDED / MAX_VALUE_EXCEEDED / INVALID_NEXT_TOKEN. DescribeAccount follows the
    same access rule.
Test-only control endpoints (unsigned, not AWS):

    POST /_hubble/organizations/accounts {"id": "111111111111", "name": "prod", "email"?: "...",
                                          "status"?: "ACTIVE" | "SUSPENDED" | "PENDING_CLOSURE",
                                          "management_account"?: "123456789012"}
         -> {"account": {...as ListAccounts shows it...}}
    GET  /_hubble/organizations/accounts[?management_account=] -> {"accounts": [...]}
    POST /_hubble/organizations/denied {"account": "123456789012",
                                        "error"?: "AccessDeniedException" (default) |
                                                  "AWSOrganizationsNotInUseException"}
    GET  /_hubble/organizations/denied -> {"denied": {account: error}};  DELETE -> {"cleared": N}

accounts registers an account with exactly that id and name in the organization whose
management account is management_account (default 123456789012, the default credentials'
account), creating the organization (FeatureSet ALL) if needed; the management account's own id
renames it (moto calls it "master"); an id already in the organization is updated (name,
status, and email when given; a new account's email defaults to aws+<id>@example.com). Members can
then use AssumeRole credentials of their id as usual. denied makes every Organizations read by
that account (ListAccounts, DescribeAccount, DescribeOrganization, ListAccountsForParent,
ListRoots, ListChildren, ListParents, ListOrganizationalUnitsForParent,
DescribeOrganizationalUnit, ListDelegatedAdministrators) answer that error, as an IAM policy
without organizations:* or a standalone account would. POST /moto-api/reset clears both (and
moto's member -> management map, which moto itself kept across resets).
"""

from __future__ import annotations

import base64
import functools
import json
import re
import threading
from typing import Any, Callable

from moto.organizations import utils
from moto.organizations.exceptions import OrganizationsClientError
from moto.organizations.models import FakeAccount, organizations_backends

LOCK = threading.RLock()
DEFAULT_MANAGEMENT = "123456789012"
DENIED_MESSAGE = "You don't have permissions to access this resource."
NOT_IN_USE = "Your account is not a member of an organization."
_DENIED: dict[str, str] = {}
_READS = ("list_accounts", "describe_account", "describe_organization", "list_accounts_for_parent",
          "list_roots", "list_children", "list_parents", "list_organizational_units_for_parent",
          "describe_organizational_unit", "list_delegated_administrators")
_ID = re.compile(r"[0-9]{12}")


def _error(code: str, message: str, reason: str | None = None) -> tuple[int, dict[str, str], str]:
    body = {"__type": code, "Message": message, **({"Reason": reason} if reason else {})}
    return 400, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code,
                 "status": "400"}, json.dumps(body)  # moto takes the status from the headers


def _management(account: str) -> Any | None:
    """The management account's backend of `account`'s organization (None: no organization)."""
    try:
        org = organizations_backends[account]["aws"].describe_organization()["Organization"]
    except OrganizationsClientError:
        return None
    return organizations_backends[org["MasterAccountId"]]["aws"]


def _access(account: str) -> tuple[Any, Any]:
    """(management backend, None) if the account may read the organization, else (None, error)."""
    mgmt = _management(account)
    if mgmt is None:
        return None, _error("AWSOrganizationsNotInUseException", NOT_IN_USE)
    if mgmt.account_id != account and not any(a.account.id == account for a in mgmt.admins):
        return None, _error("AccessDeniedException", DENIED_MESSAGE)
    return mgmt, None


def _deniable(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(func)
    def wrapper(self: Any) -> Any:
        with LOCK:
            code = _DENIED.get(self.current_account)
        if code:
            return _error(code, DENIED_MESSAGE if code == "AccessDeniedException" else NOT_IN_USE)
        return func(self)
    return wrapper


def _accounts(mgmt: Any) -> list[dict[str, Any]]:
    return [a.describe() for a in sorted(mgmt.accounts, key=lambda a: (a.create_time, a.id))]


def list_accounts(self: Any) -> Any:
    max_results, token = self._get_param("MaxResults"), self._get_param("NextToken")
    if max_results is not None:
        if not isinstance(max_results, int) or isinstance(max_results, bool) or max_results < 1:
            return _error("InvalidInputException", "You provided a value that is less than the "
                          "permitted minimum for MaxResults (1).", "MIN_VALUE_EXCEEDED")
        if max_results > 20:
            return _error("InvalidInputException", "You provided a value that is greater than the "
                          "permitted maximum for MaxResults (20).", "MAX_VALUE_EXCEEDED")
    mgmt, error = _access(self.current_account)
    if error:
        return error
    items, start = _accounts(mgmt), 0
    if token is not None:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(str(token).encode()))
            assert decoded["org"] == mgmt.org.id and isinstance(decoded["o"], int) and decoded["o"] >= 0
            start = decoded["o"]
        except Exception:
            return _error("InvalidInputException", "The NextToken is not valid.", "INVALID_NEXT_TOKEN")
    end = start + (max_results or 20)
    out: dict[str, Any] = {"Accounts": items[start:end]}
    if end < len(items):
        out["NextToken"] = base64.urlsafe_b64encode(
            json.dumps({"org": mgmt.org.id, "o": end}).encode()).decode()
    return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(out)


def describe_account(self: Any) -> Any:
    wanted = self._get_param("AccountId")
    mgmt, error = _access(self.current_account)
    if error:
        return error
    found = next((a for a in mgmt.accounts if a.id == wanted), None)
    if found is None:
        return _error("AccountNotFoundException", "You specified an account that doesn't exist.")
    return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps({"Account": found.describe()})


# ------------------------------------------------------------------- control endpoints
def register_account(spec: Any) -> dict[str, Any]:
    if not isinstance(spec, dict):
        raise ValueError("body must be a JSON object")
    unknown = set(spec) - {"id", "name", "email", "status", "management_account"}
    if unknown:
        raise ValueError(f"unknown keys: {sorted(unknown)}")
    acct_id, name = spec.get("id"), spec.get("name")
    mgmt_id = spec.get("management_account", DEFAULT_MANAGEMENT)
    status = spec.get("status", "ACTIVE")
    if not isinstance(acct_id, str) or not _ID.fullmatch(acct_id) or not isinstance(mgmt_id, str) \
            or not _ID.fullmatch(mgmt_id):
        raise ValueError("'id' and 'management_account' must be 12-digit account ids")
    if not isinstance(name, str) or not 1 <= len(name) <= 50:
        raise ValueError("'name' must be 1 to 50 characters (the model's AccountName)")
    email = spec.get("email")
    if email is not None and (not isinstance(email, str)
                              or not re.fullmatch(r"[^\s@]+@[^\s@]+\.[^\s@]+", email)):
        raise ValueError("'email' must be an email address")
    if status not in ("ACTIVE", "SUSPENDED", "PENDING_CLOSURE"):
        raise ValueError("'status' must be ACTIVE, SUSPENDED or PENDING_CLOSURE")
    with LOCK:
        mgmt = organizations_backends[mgmt_id]["aws"]
        if mgmt.org is None:
            if mgmt_id in organizations_backends.master_accounts:
                raise ValueError(f"{mgmt_id} is a member, not the management account, of an organization")
            mgmt.create_organization(region="us-east-1", FeatureSet="ALL")
        owner = organizations_backends.master_accounts.get(acct_id, (mgmt_id, "aws"))[0]
        if owner != mgmt_id or (acct_id != mgmt_id and organizations_backends[acct_id]["aws"].org):
            raise ValueError(f"{acct_id} already belongs to another organization")
        account = next((a for a in mgmt.accounts if a.id == acct_id), None)
        if account is None:
            account = FakeAccount(mgmt.org, AccountName=name,
                                  Email=email or f"aws+{acct_id}@example.com")
            account.id = acct_id
            mgmt.accounts.append(account)
            for policy_id in (utils.DEFAULT_SCP_POLICY_ID, utils.DEFAULT_RCP_POLICY_ID):
                mgmt.attach_policy(PolicyId=policy_id, TargetId=acct_id)
            organizations_backends.master_accounts[acct_id] = (mgmt_id, "aws")
        account.name, account.email = name, email or account.email
        account.status = account.state = status
        return account.describe()


def control_accounts(method: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
    if method == "POST":
        return 200, {"account": register_account(body)}
    if method == "GET":
        mgmt = organizations_backends[query.get("management_account", DEFAULT_MANAGEMENT)]["aws"]
        with LOCK:
            return 200, {"accounts": _accounts(mgmt) if mgmt.org else []}
    return 405, {"message": f"method {method} not allowed"}


def control_denied(method: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
    with LOCK:
        if method == "GET":
            return 200, {"denied": dict(_DENIED)}
        if method == "DELETE":
            cleared = len(_DENIED)
            _DENIED.clear()
            return 200, {"cleared": cleared}
        if method != "POST":
            return 405, {"message": f"method {method} not allowed"}
        if not isinstance(body, dict) or set(body) - {"account", "error"} \
                or not isinstance(body.get("account"), str) or not _ID.fullmatch(body["account"]):
            raise ValueError("body must be {\"account\": \"<12 digits>\", \"error\"?: ...}")
        error = body.get("error", "AccessDeniedException")
        if error not in ("AccessDeniedException", "AWSOrganizationsNotInUseException"):
            raise ValueError("'error' must be AccessDeniedException or AWSOrganizationsNotInUseException")
        _DENIED[body["account"]] = error
        return 200, {"denied": dict(_DENIED)}


CONTROL_ROUTES = {"/_hubble/organizations/accounts": control_accounts,
                  "/_hubble/organizations/denied": control_denied}


def install() -> None:
    from moto.core.base_backend import BackendDict
    from moto.organizations.responses import OrganizationsResponse as R

    R.list_accounts = list_accounts
    R.describe_account = describe_account
    for name in _READS:
        setattr(R, name, _deniable(getattr(R, name)))

    original_reset = BackendDict.reset.__func__

    def reset(cls: Any) -> None:
        original_reset(cls)
        with LOCK:
            _DENIED.clear()
            # moto keeps member -> management links across resets (then DescribeOrganization
            # of a former member fails with a 500): drop them with the organizations.
            organizations_backends.master_accounts.clear()

    BackendDict.reset = classmethod(reset)
