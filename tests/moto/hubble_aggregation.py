"""Cross-Region aggregation and administrators for moto 5.2.5, loaded by hubble_moto.py.

Follows botocore's securityhub 2018-10-26 model (restJson1) and the documented semantics:
  * Finding aggregators (v1, moto lacks them): CreateFindingAggregator (POST
    /findingAggregator/create), ListFindingAggregators (GET /findingAggregator/list),
    GetFindingAggregator (GET /findingAggregator/get/{arn+}), UpdateFindingAggregator (PATCH
    /findingAggregator/update), DeleteFindingAggregator (DELETE /findingAggregator/delete/{arn+}).
    Aggregators V2 (the v2 API's own): CreateAggregatorV2, ListAggregatorsV2, GetAggregatorV2,
    UpdateAggregatorV2, DeleteAggregatorV2 (/aggregatorv2/...). One of each per account; it
    lives in the Region that created it (the home / aggregation Region); Update and Delete only
    from there. RegionLinkingMode ALL_REGIONS | ALL_REGIONS_EXCEPT_SPECIFIED | SPECIFIED_REGIONS
    | NO_REGIONS; Regions / LinkedRegions are required for the two *SPECIFIED modes and refused
    otherwise, and must be Security Hub Regions other than the home Region. Errors: v1
    InvalidInputException (a second aggregator too), 404 ResourceNotFoundException (unknown ARN),
    401 InvalidAccessException (hub not enabled); v2 ValidationException, 409 ConflictException
    (a second aggregator), 404 ResourceNotFoundException, 403 AccessDeniedException (v2 off).
  * Administrators: EnableOrganizationAdminAccount takes Feature SecurityHub (default, moto's own
    code) | SecurityHubV2 and answers AdminAccountId and Feature; the account also becomes an
    Organizations delegated administrator for securityhub.amazonaws.com (as on AWS, so it may
    call organizations:ListAccounts). DisableOrganizationAdminAccount and
    ListOrganizationAdminAccounts (management account only: else 403 AccessDeniedException,
    resp. 401 InvalidAccessException, as each operation's error list allows; Feature) are added.
  * What a caller sees (hubble_securityhub.SCOPE for GetFindings / BatchUpdateFindings /
    GetFindingHistory; hubble_securityhub_v2.SCOPE for GetFindingsV2 / BatchUpdateFindingsV2 /
    GetFindingStatisticsV2): its own findings, plus those of its member accounts -- v1: moto's
    CreateMembers members (MemberStatus ENABLED) of the Region called, or every account of the
    organization when it is the v1 organization admin; v2: every account of the organization
    when it is the SecurityHubV2 delegated administrator -- and, in the home Region of its
    aggregator (v1 aggregator for v1, AggregatorV2 for v2), the same accounts' findings from
    every linked Region (ALL_REGIONS: every Region where any of those accounts has a Security
    Hub backend). Only accounts/Regions where the hub (v1) or v2 is enabled count. Findings keep
    their own AwsAccountId/Region (cloud.account.uid/cloud.region) and are the same objects:
    an update through the administrator changes the member's finding.
  * GetFindingsV2 Scopes.AwsOrganizations: for the SecurityHubV2 delegated administrator only
    (else 403 AccessDeniedException); OrganizationId must be its organization's (else
    OrganizationNotFoundException), OrganizationalUnitId an OU of it (accounts anywhere below;
    else OrganizationalUnitNotFoundException); entries are OR-ed.
State lives in moto's backends (POST /moto-api/reset wipes it).
"""

from __future__ import annotations

import json
import urllib.parse
import uuid
from typing import Any, Callable

import botocore.session
from moto.organizations.exceptions import OrganizationsClientError
from moto.organizations.models import FakeDelegatedAdministrator, organizations_backends
from moto.securityhub.exceptions import SecurityHubClientError
from moto.securityhub.models import SecurityHubBackend, securityhub_backends

import hubble_securityhub as v1
import hubble_securityhub_v2 as v2

MODES = ("ALL_REGIONS", "ALL_REGIONS_EXCEPT_SPECIFIED", "SPECIFIED_REGIONS", "NO_REGIONS")
REGIONS = set(botocore.session.get_session().get_available_regions("securityhub"))
FEATURES = ("SecurityHub", "SecurityHubV2")
SH_PRINCIPAL = "securityhub.amazonaws.com"
# kind -> (ARN member, home Region member, Regions member, ARN resource type, invalid-input error)
KINDS = {
    "v1": ("FindingAggregatorArn", "FindingAggregationRegion", "Regions", "finding-aggregator",
           "InvalidInputException"),
    "v2": ("AggregatorV2Arn", "AggregationRegion", "LinkedRegions", "aggregatorv2",
           "ValidationException"),
}


def _err(code: str, message: str) -> SecurityHubClientError:
    return SecurityHubClientError(code, message)


def _json(payload: Any) -> tuple[int, dict[str, str], str]:
    return 200, {"Content-Type": "application/json"}, json.dumps(payload)


def _body(resp: Any, code: str) -> dict[str, Any]:
    try:
        body = json.loads(resp.body or "{}")
    except ValueError:
        raise _err(code, "The request body is not valid JSON")
    if not isinstance(body, dict):
        raise _err(code, "The request body must be a JSON object")
    return body


def _query(resp: Any, name: str) -> str | None:
    value = (resp.querystring or {}).get(name)
    return value[-1] if isinstance(value, list) else value


def _backends_of(account: str) -> dict[str, Any]:
    """The Regions where `account` has a Security Hub backend (without creating any)."""
    return dict(dict.get(securityhub_backends, account) or {})


# ------------------------------------------------------------------- organizations
def org_of(account: str) -> tuple[str, str] | None:
    """(organization id, management account) of the account's organization, if any."""
    try:
        org = organizations_backends[account]["aws"].describe_organization()["Organization"]
    except OrganizationsClientError:
        return None
    return org["Id"], org["MasterAccountId"]


def _management_backend(account: str) -> Any:
    found = org_of(account)
    return organizations_backends[found[1]]["aws"] if found else None


def org_accounts(account: str) -> list[Any]:
    mgmt = _management_backend(account)
    return [a for a in mgmt.accounts if a.status == "ACTIVE"] if mgmt else []


def admin_of(account: str, feature: str) -> str | None:
    """The organization's Security Hub administrator for a feature."""
    found = org_of(account)
    if found is None:
        return None
    if feature == "SecurityHub":
        return (SecurityHubBackend._org_configs.get(found[0]) or {}).get("admin_account_id")
    return getattr(organizations_backends[found[1]]["aws"], "_hubble_sh_v2_admin", None)


def _register_delegated(account: str, admin: str, register: bool) -> None:
    """Keeps Organizations' delegated administrators in step (securityhub.amazonaws.com)."""
    mgmt = _management_backend(account)
    entry = next((a for a in mgmt.admins if a.account.id == admin), None)
    if register:
        if entry is None:
            entry = FakeDelegatedAdministrator(mgmt.get_account_by_id(admin))
            mgmt.admins.append(entry)
        entry.services.setdefault(SH_PRINCIPAL, {"ServicePrincipal": SH_PRINCIPAL,
                                                 "DelegationEnabledDate": 0})
    elif entry is not None and admin not in (admin_of(account, f) for f in FEATURES):
        entry.services.pop(SH_PRINCIPAL, None)
        if not entry.services:
            mgmt.admins.remove(entry)


def _feature(value: Any) -> str:
    if value is None:
        return "SecurityHub"
    if value not in FEATURES:
        raise _err("InvalidInputException", f"Feature must be one of {list(FEATURES)}")
    return value


def _require_management(resp: Any, code: str = "AccessDeniedException") -> tuple[str, str]:
    found = org_of(resp.current_account)
    if found is None:
        raise _err(code, "The request was rejected because AWS Organizations "
                   "is not in use or not configured for this account.")
    if found[1] != resp.current_account:
        raise _err(code, "The request was rejected because you don't have "
                   "sufficient permissions: only the organization management account can call it.")
    return found


def enable_organization_admin_account(resp: Any, original: Callable[[Any], Any]) -> Any:
    body = _body(resp, "InvalidInputException")
    feature, admin = _feature(body.get("Feature")), body.get("AdminAccountId")
    if not isinstance(admin, str) or not admin.strip():
        raise _err("InvalidInputException", "AdminAccountId is required")
    if feature == "SecurityHub":
        original(resp)  # moto: management account only, admin must be in the organization
    else:
        _require_management(resp)
        mgmt = _management_backend(resp.current_account)
        if not any(a.id == admin for a in mgmt.accounts):
            raise _err("InvalidInputException", f"The request was rejected because the account "
                       f"{admin} is not a member of organization {mgmt.org.id}.")
        mgmt._hubble_sh_v2_admin = admin
    _register_delegated(resp.current_account, admin, True)
    return _json({"AdminAccountId": admin, "Feature": feature})


def disable_organization_admin_account(self: Any) -> Any:
    body = _body(self, "InvalidInputException")
    feature, admin = _feature(body.get("Feature")), body.get("AdminAccountId")
    org_id, _ = _require_management(self)
    if admin is None or admin != admin_of(self.current_account, feature):
        raise _err("InvalidInputException", f"{admin} is not the {feature} administrator account")
    if feature == "SecurityHub":
        SecurityHubBackend._org_configs[org_id]["admin_account_id"] = None
    else:
        _management_backend(self.current_account)._hubble_sh_v2_admin = None
    _register_delegated(self.current_account, admin, False)
    return _json({})


def list_organization_admin_accounts(self: Any) -> Any:
    feature = _feature(_query(self, "Feature"))
    max_results = _query(self, "MaxResults")
    if max_results is not None and not (max_results.isdigit() and 1 <= int(max_results) <= 10):
        raise _err("InvalidInputException", "MaxResults must be a number between 1 and 10")
    _require_management(self, "InvalidAccessException")  # the model lists no AccessDenied here
    admin = admin_of(self.current_account, feature)
    return _json({"AdminAccounts": [{"AccountId": admin, "Status": "ENABLED"}] if admin else [],
                  "Feature": feature})


# ------------------------------------------------------------------- aggregators
def find_aggregator(account: str, kind: str) -> tuple[Any, dict] | None:
    """(home backend, aggregator) of the account's aggregator of a kind."""
    for backend in _backends_of(account).values():
        agg = (getattr(backend, "_hubble_aggregators", None) or {}).get(kind)
        if agg is not None:
            return backend, agg
    return None


def _check_enabled(resp: Any, kind: str) -> Any:
    return v1._enabled_backend(resp) if kind == "v1" else v2._enabled_backend(resp)


def _linking(body: dict, kind: str, home: str) -> tuple[str, list[str]]:
    arn_key, _, regions_key, _, bad = KINDS[kind]
    mode, regions = body.get("RegionLinkingMode"), body.get(regions_key)
    if mode not in MODES:
        raise _err(bad, f"RegionLinkingMode must be one of {list(MODES)}")
    if mode in ("ALL_REGIONS", "NO_REGIONS"):
        if regions:
            raise _err(bad, f"{regions_key} must be empty when RegionLinkingMode is {mode}")
        return mode, []
    if not isinstance(regions, list) or not regions or not all(isinstance(r, str) for r in regions):
        raise _err(bad, f"{regions_key} must list Regions when RegionLinkingMode is {mode}")
    unknown = [r for r in regions if r not in REGIONS or r == home]
    if unknown:
        raise _err(bad, f"{regions_key} has invalid Regions (unknown, or the home Region): {unknown}")
    return mode, list(dict.fromkeys(regions))


def _describe(kind: str, agg: dict) -> dict[str, Any]:
    arn_key, home_key, regions_key, _, _ = KINDS[kind]
    return {arn_key: agg["arn"], home_key: agg["home"], "RegionLinkingMode": agg["mode"],
            regions_key: list(agg["regions"])}


def _create(resp: Any, kind: str) -> Any:
    arn_key, _, _, resource, bad = KINDS[kind]
    body = _body(resp, bad)
    backend = _check_enabled(resp, kind)
    mode, regions = _linking(body, kind, backend.region_name)
    with v1.LOCK:
        if find_aggregator(backend.account_id, kind) is not None:
            raise _err("ConflictException" if kind == "v2" else bad,
                       "An aggregator already exists for this account; update or delete it")
        agg = {"arn": f"arn:aws:securityhub:{backend.region_name}:{backend.account_id}:"
                      f"{resource}/{uuid.uuid4()}",
               "home": backend.region_name, "mode": mode, "regions": regions}
        if getattr(backend, "_hubble_aggregators", None) is None:
            backend._hubble_aggregators = {}
        backend._hubble_aggregators[kind] = agg
    return _json(_describe(kind, agg))


def _arn_from(resp: Any, kind: str, body: dict | None) -> str:
    arn_key = KINDS[kind][0]
    if body is not None and arn_key in body:
        return body[arn_key]
    value = (getattr(resp, "uri_match", None) or {}).get(arn_key)
    if not value:  # greedy label: everything after .../get/ (or delete/, update/)
        value = resp.path.split("/", 3)[-1] if resp.path else ""
    return urllib.parse.unquote(value)


def _existing(resp: Any, kind: str, arn: Any, home_only: bool) -> tuple[Any, dict]:
    found = find_aggregator(resp.current_account, kind)
    if found is None or found[1]["arn"] != arn:
        raise _err("ResourceNotFoundException", f"No aggregator {arn} in this account")
    if home_only and found[1]["home"] != resp.region:
        raise _err(KINDS[kind][4], f"Call this operation from the aggregation Region "
                   f"{found[1]['home']}, not {resp.region}")
    return found


def _get(resp: Any, kind: str) -> Any:
    _check_enabled(resp, kind)
    return _json(_describe(kind, _existing(resp, kind, _arn_from(resp, kind, None), False)[1]))


def _update(resp: Any, kind: str) -> Any:
    body = _body(resp, KINDS[kind][4])
    _check_enabled(resp, kind)
    with v1.LOCK:
        _, agg = _existing(resp, kind, _arn_from(resp, kind, body if kind == "v1" else None), True)
        agg["mode"], agg["regions"] = _linking(body, kind, agg["home"])
    return _json(_describe(kind, agg))


def _delete(resp: Any, kind: str) -> Any:
    _check_enabled(resp, kind)
    with v1.LOCK:
        backend, agg = _existing(resp, kind, _arn_from(resp, kind, None), True)
        backend._hubble_aggregators.pop(kind)
    return _json({})


def _list(resp: Any, kind: str) -> Any:
    max_results = _query(resp, "MaxResults")
    if max_results is not None and not (max_results.isdigit() and 1 <= int(max_results) <= 100):
        raise _err(KINDS[kind][4], "MaxResults must be a number between 1 and 100")
    _check_enabled(resp, kind)
    found = find_aggregator(resp.current_account, kind)
    key = "FindingAggregators" if kind == "v1" else "AggregatorsV2"
    return _json({key: [{KINDS[kind][0]: found[1]["arn"]}] if found else []})


# ------------------------------------------------------------------- scopes
def linked_regions(account: str, region: str, kind: str, accounts: list[str]) -> list[str]:
    found = find_aggregator(account, kind)
    if found is None or found[1]["home"] != region:
        return [region]
    mode, listed = found[1]["mode"], found[1]["regions"]
    if mode == "NO_REGIONS":
        return [region]
    if mode == "SPECIFIED_REGIONS":
        return [region] + listed
    known = sorted({r for a in accounts for r in _backends_of(a)} - {region})
    return [region] + [r for r in known if mode == "ALL_REGIONS" or r not in listed]


def member_accounts(backend: Any, kind: str) -> list[str]:
    account = backend.account_id
    members: list[str] = []
    if kind == "v1":
        members += [m for m, d in backend.members.items() if d.get("MemberStatus") == "ENABLED"]
    if admin_of(account, "SecurityHub" if kind == "v1" else "SecurityHubV2") == account:
        members += [a.id for a in org_accounts(account)]
    return [m for m in dict.fromkeys(members) if m != account]


def _scope(backend: Any, kind: str, only: set[str] | None = None) -> list[Any]:
    accounts = [backend.account_id] + member_accounts(backend, kind)
    regions = linked_regions(backend.account_id, backend.region_name, kind, accounts)
    on = (lambda b: b.enabled) if kind == "v1" else v2.enabled
    out = [backend] if only is None or backend.account_id in only else []
    for account in accounts:
        for region in regions:
            b = _backends_of(account).get(region)
            if b is not None and b is not backend and on(b) and (only is None or account in only):
                out.append(b)
    return out


def v2_scopes(backend: Any, entries: list[dict]) -> list[Any]:
    account = backend.account_id
    if admin_of(account, "SecurityHubV2") != account:
        raise _err("AccessDeniedException", "Only the delegated administrator account can use Scopes.")
    org_id, mgmt_id = org_of(account)
    mgmt = organizations_backends[mgmt_id]["aws"]
    parents = {ou.id: ou.parent_id for ou in mgmt.ou}
    wanted: set[str] = set()
    for entry in entries:
        org, ou = entry.get("OrganizationId"), entry.get("OrganizationalUnitId")
        if org is None and ou is None:
            raise _err("ValidationException", "Each scope needs OrganizationId or OrganizationalUnitId")
        if org is not None and org != org_id:
            raise _err("OrganizationNotFoundException", f"Organization {org} was not found")
        if ou is not None and ou not in parents:
            raise _err("OrganizationalUnitNotFoundException", f"Organizational unit {ou} was not found")
        for acct in mgmt.accounts:
            node = acct.parent_id
            while ou is not None and node is not None and node != ou:
                node = parents.get(node)
            if ou is None or node == ou:
                wanted.add(acct.id)
    return _scope(backend, "v2", wanted)


# ------------------------------------------------------------------- install
_ROUTES = [
    "{0}/findingAggregator/create$", "{0}/findingAggregator/list$", "{0}/findingAggregator/update$",
    "{0}/findingAggregator/get/(?P<FindingAggregatorArn>.+)$",
    "{0}/findingAggregator/delete/(?P<FindingAggregatorArn>.+)$",
    "{0}/aggregatorv2/create$", "{0}/aggregatorv2/list$",
    "{0}/aggregatorv2/get/(?P<AggregatorV2Arn>.+)$", "{0}/aggregatorv2/update/(?P<AggregatorV2Arn>.+)$",
    "{0}/aggregatorv2/delete/(?P<AggregatorV2Arn>.+)$",
    "{0}/organization/admin$", "{0}/organization/admin/disable$",
]


def _op(func: Callable[[Any, str], Any], kind: str) -> Callable[[Any], Any]:
    wrapped = lambda self: func(self, kind)  # noqa: E731
    return v2.v2_operation(wrapped) if kind == "v2" else wrapped


def install() -> None:
    from moto.securityhub import urls
    from moto.securityhub.responses import SecurityHubResponse as R

    for path in _ROUTES:
        urls.url_paths[path] = R.dispatch
    for kind, names in (("v1", ("finding_aggregator", "finding_aggregators")),
                        ("v2", ("aggregator_v2", "aggregators_v2"))):
        setattr(R, f"create_{names[0]}", _op(_create, kind))
        setattr(R, f"get_{names[0]}", _op(_get, kind))
        setattr(R, f"update_{names[0]}", _op(_update, kind))
        setattr(R, f"delete_{names[0]}", _op(_delete, kind))
        setattr(R, f"list_{names[1]}", _op(_list, kind))
    original_enable = R.enable_organization_admin_account
    R.enable_organization_admin_account = lambda self: enable_organization_admin_account(
        self, original_enable)
    R.disable_organization_admin_account = disable_organization_admin_account
    R.list_organization_admin_accounts = list_organization_admin_accounts
    v1.SCOPE = lambda backend: _scope(backend, "v1")
    v2.SCOPE = lambda backend: _scope(backend, "v2")
    v2.SCOPES = v2_scopes
