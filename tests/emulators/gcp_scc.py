"""Google Cloud Security Command Center v2 emulator (test infrastructure, not shipped).

    python tests/emulators/gcp_scc.py --host 127.0.0.1 --port 0 [--exit-on-stdin-eof]

prints ``READY <port>`` (see emu_base.py). One server plays four Google services so that a
client with ``endpoint_url = http://127.0.0.1:PORT`` and a credential file made by the control
endpoints below talks only to it. JSON is the proto3 JSON mapping of the v2 protos
(googleapis ``google/cloud/securitycenter/v2/*.proto``): lowerCamelCase names, enums as
strings, Timestamps as RFC 3339 in UTC with "Z" and 0/3/6 fractional digits, and fields with
default values (empty string/list, 0, unset message) omitted -- so an empty page is ``{}``.

Google API errors have the google.rpc shape
``{"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED", "details": [...]}}``
(INVALID_ARGUMENT 400, UNAUTHENTICATED 401, PERMISSION_DENIED 403, NOT_FOUND 404,
RESOURCE_EXHAUSTED 429, INTERNAL 500, UNAVAILABLE 503, ...); faults armed with /_emu/faults
without a "body" get that shape too (on /token and /v1/token: the OAuth shape below). OAuth
errors (/token, /v1/token) are ``{"error": "invalid_grant", "error_description": "..."}``.

OAuth 2.0 token endpoint (oauth2.googleapis.com; the ``token_uri`` of the emulator's keys)
------------------------------------------------------------------------------------------
POST /token   form-encoded (JSON accepted too)
    grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer & assertion=<RS256 JWT>
        header {"alg": "RS256", "kid": <private_key_id> (optional)}; claims iss = client_email
        of a registered service account, aud = this /token URL or
        https://oauth2.googleapis.com/token (also the legacy
        https://www.googleapis.com/oauth2/v4/token and https://accounts.google.com/o/oauth2/token),
        scope = space-separated scopes, iat/exp with exp - iat <= 3600, not expired, iat not
        more than 5 min in the future; "sub", if present, must equal iss (domain-wide delegation
        is not emulated -> 401 unauthorized_client).
        Errors (400 unless said): unknown iss -> invalid_grant "Invalid grant: account not
        found"; bad signature or wrong kid -> invalid_grant "Invalid JWT Signature."; bad
        aud -> invalid_grant "Invalid JWT: Failed audience check. ..."; bad iat/exp ->
        invalid_grant "Invalid JWT: Token must be a short-lived token (60 minutes) and in a
        reasonable timeframe. ..."; no scope -> invalid_scope "Invalid OAuth scope or ID token
        audience provided."; malformed JWT -> invalid_grant "Invalid JWT: ...".
        A scope list without cloud-platform is accepted here (as Google does); the SCC API then
        answers 403 "Request had insufficient authentication scopes."
    grant_type=refresh_token & client_id & client_secret & refresh_token  ("authorized_user"
        credentials as written by `gcloud auth application-default login`)
        unknown client_id -> 401 invalid_client "The OAuth client was not found."; wrong secret
        -> 401 unauthorized_client "Unauthorized"; unknown refresh token -> 400 invalid_grant
        "Token has been expired or revoked."
    other grant_type -> 400 unsupported_grant_type.
    Answer 200 {"access_token": "ya29.…", "expires_in": 3599, "token_type": "Bearer", "scope": "…"}

Self-signed JWT as access token (Google's "service account authorization without OAuth")
-----------------------------------------------------------------------------------------
An ``Authorization: Bearer <JWT>`` on the SCC API is accepted when it is RS256-signed by a
registered service account (kid = private_key_id or iss = client_email), iss = sub (sub
optional), exp - iat <= 3600, not expired, and either aud is the API
(https://securitycenter.googleapis.com/ with or without the slash, or this emulator's base
URL with or without the slash) or "scope" contains cloud-platform. /_emu/gcp/expire-tokens
also invalidates such JWTs issued (iat) before the call.

GCE metadata server (point GCE_METADATA_HOST / GCE_METADATA_IP at 127.0.0.1:PORT)
-----------------------------------------------------------------------------------
Every path needs the header ``Metadata-Flavor: Google`` (else 403 text/html) and every answer
carries ``Metadata-Flavor: Google``.
GET /  and  GET /computeMetadata/v1/            -> 200 text (the detection ping)
GET /computeMetadata/v1/instance/service-accounts/default/token[?scopes=a,b]
    -> {"access_token", "expires_in", "token_type": "Bearer"} for the metadata identity
GET /computeMetadata/v1/instance/service-accounts/default/email   -> text
GET /computeMetadata/v1/instance/service-accounts/default/scopes  -> text, one per line
GET /computeMetadata/v1/project/project-id                         -> text
GET /computeMetadata/v1/project/numeric-project-id                 -> text

STS token exchange (sts.googleapis.com; workload identity federation) and IAM Credentials
-----------------------------------------------------------------------------------------
POST /v1/token  form: grant_type=urn:ietf:params:oauth:grant-type:token-exchange, audience,
    scope, requested_token_type=urn:ietf:params:oauth:token-type:access_token, subject_token,
    subject_token_type (…:jwt, …:id_token, …:saml2 or urn:ietf:params:aws:token-type:aws4_request)
    The subject token is not parsed: it must be one registered with /_emu/gcp/external-accounts
    for that audience. -> {"access_token", "issued_token_type":
    "urn:ietf:params:oauth:token-type:access_token", "token_type": "Bearer", "expires_in"}.
    Errors: 400 {"error": "invalid_request"|"invalid_grant"|"unsupported_grant_type", ...}.
    The token's principal is principal://iam.googleapis.com/<pool>/subject/<subject>.
POST /v1/projects/-/serviceAccounts/{email}:generateAccessToken  Bearer <STS token>
    body {"scope": [...], "lifetime": "3600s"} -> {"accessToken", "expireTime"}; allowed only for
    the service account named when the external account was registered (else 403).

Security Command Center v2 (securitycenter.googleapis.com; Bearer token required)
----------------------------------------------------------------------------------
GET /v2/{parent}/sources/{source}/findings
GET /v2/{parent}/sources/{source}/locations/{location}/findings
    ListFindings. parent = organizations/{id} | folders/{id} | projects/{id or number};
    source = a source id or "-" (all sources); no location = "global". An organization parent
    sees all its findings, a folder those of projects under it (any depth), a project its own.
    Query: filter, orderBy, pageSize (default 10; 1000 max: larger values are coerced to 1000,
    or rejected with /_emu/gcp/config), pageToken, fieldMask (top-level Finding fields, comma
    separated; others dropped). snake_case names are accepted too; an unknown query parameter
    -> 400 like Google's "Cannot bind query parameter". Answer
    {"listFindingsResults": [{"finding": Finding, "resource": {name, displayName, type,
    cloudProvider, service, location, gcpMetadata {project, projectDisplayName, parent,
    parentDisplayName, folders [{resourceFolder, resourceFolderDisplayName}], organization},
    resourcePath {nodes [{nodeType, id, displayName}]}, resourcePathString}}],
    "nextPageToken", "totalSize"}. Page tokens are opaque, bound to (parent, filter, orderBy);
    a garbled or mismatched token -> 400 INVALID_ARGUMENT. Default order: creation order.
  filter (the ListFindingsRequest.filter comment): restrictions `field op value` combined with
    AND / OR (OR binds tighter than AND, as the proto says), parentheses, `-` or NOT negation,
    and juxtaposition meaning AND. Values: "string" (\\" and \\\\ escapes), integers,
    true/false. Operators: `=` exact, `:` substring (`:"*"` = field present), `>` `<` `>=`
    `<=` on event_time only; `!=` is not documented and is rejected. Fields:
      name (=), parent, resource_name, state, category, external_uri, severity (=, :),
      event_time (=, >, <, >=, <=; RFC 3339 string or epoch milliseconds),
      security_marks.marks.KEY (=, :; key and value case-insensitive),
      resource.name, resource.display_name, resource.type, resource.parent_name,
      resource.parent_display_name, resource.project_name (= gcpMetadata.project, i.e.
      //cloudresourcemanager.googleapis.com/projects/NUMBER), resource.project_display_name
      (the project id), resource.folders.resource_folder (=, :),
      plus, not in the proto comment but used in Google's docs: mute, finding_class,
      source_properties.KEY, resource.gcp_metadata.project (alias of resource.project_name).
    Enum fields compared with `=` must name a valid value (state ACTIVE|INACTIVE, severity
    CRITICAL|HIGH|MEDIUM|LOW, mute MUTED|UNMUTED|UNDEFINED, finding_class THREAT|…).
    Unknown field, bad syntax, unquoted word values, an operator a field does not support ->
    400 INVALID_ARGUMENT "Invalid filter: …".
  orderBy: comma-separated fields from name, parent, state, category, resource_name,
    event_time, security_marks.marks[.KEY], each optionally followed by " desc"; others -> 400.
POST /v2/{finding name}:setState  {"state": "ACTIVE"|"INACTIVE"}  -> the Finding.
    Name forms: {organizations|folders|projects}/X/sources/S[/locations/L]/findings/ID (the
    finding must lie under X). When the state changes, eventTime becomes now (the proto:
    "if the finding is later resolved, then this time reflects when the finding was
    resolved"); an unchanged state changes nothing. v2 has no start_time.
POST /v2/{finding name}:setMute  {"mute": "MUTED"|"UNMUTED"} -> the Finding with mute,
    muteUpdateTime = now, muteInitiator = the caller's email, muteInfo.staticMute.
    Unknown finding -> 404 NOT_FOUND "Requested entity was not found.". There is no GET of a
    single finding in SCC v2 (no such http binding), so none here.
Permissions: securitycenter.findings.list / .setState / .setMute; a principal denied on a
    parent (control endpoint below) gets 403 PERMISSION_DENIED "Permission '…' denied on
    resource '…' (or it may not exist)." for requests whose parent/name starts there.
Auth errors: no Authorization -> 401 UNAUTHENTICATED "Request is missing required
    authentication credential. …" (ErrorInfo reason CREDENTIALS_MISSING); unknown, expired or
    invalid token -> 401 UNAUTHENTICATED "Request had invalid authentication credentials.
    Expected OAuth 2 access token, login cookie or other valid authentication credential. …"
    (reason ACCESS_TOKEN_EXPIRED for an expired token), with a WWW-Authenticate header; a
    token without the cloud-platform scope -> 403 PERMISSION_DENIED "Request had insufficient
    authentication scopes." (reason ACCESS_TOKEN_SCOPE_INSUFFICIENT).

Test-only control endpoints (no auth; not logged by /_emu/requests)
--------------------------------------------------------------------
POST /_emu/gcp/service-accounts {"email"?, "project_id"?}
    -> a complete service-account key JSON (type, project_id, private_key_id, private_key
    (PKCS#8 PEM, RSA 2048, generated), client_email, client_id, auth_uri, token_uri =
    http://127.0.0.1:PORT/token, auth_provider_x509_cert_url, client_x509_cert_url,
    universe_domain). Write it to a file for GOOGLE_APPLICATION_CREDENTIALS.
POST /_emu/gcp/authorized-users {"email"?}
    -> {"type": "authorized_user", "client_id", "client_secret", "refresh_token",
    "token_uri", "quota_project_id"?}. (Real gcloud ADC files carry no token_uri; it is added
    here so a client that honours it reaches the emulator.)
POST /_emu/gcp/external-accounts {"audience"?, "subject"?, "subject_token"?,
    "subject_token_type"?, "impersonate"?: sa email, "credential_file"?: path}
    -> {"credentials": external_account JSON (audience, subject_token_type, token_url =
    …/v1/token, credential_source = {"file": credential_file} if given else {"url":
    …/_emu/gcp/subject-tokens/<id>, "format": {"type": "text"}}, service_account_impersonation_url
    if impersonate), "subject_token": the token to put in that file, "principal"}.
GET  /_emu/gcp/subject-tokens/{id} -> text/plain subject token (a credential_source.url).
POST /_emu/gcp/metadata {"email"?, "project_id"?, "project_number"?, "scopes"?} set the
    metadata-server identity (default 100000000001-compute@developer.gserviceaccount.com in
    project hubble-prod, scope cloud-platform). GET it back with GET.
POST /_emu/gcp/token-lifetime {"seconds": N} lifetime of tokens issued from now (default 3599).
POST /_emu/gcp/expire-tokens  every token issued so far (and self-signed JWTs with an earlier
    iat) -> 401 from now on. -> {"expired": N}
POST /_emu/gcp/deny {"email", "parent", "permission"?}  e.g. {"email": "sa@…", "parent":
    "projects/acme-web-prod"}; "parent" "*" = everywhere; without "permission" every
    securitycenter permission is denied. A project parent matches by id or number.
    GET lists, DELETE clears.
POST /_emu/gcp/projects {"project_id", "project_number"?, "organization"?, "folders"?: [id or
    {"id", "displayName"}] deepest first, "organization_display_name"?}  register hierarchy
    (also done implicitly by seeding). GET lists.
POST /_emu/gcp/findings {"finding": {partial Finding}, "resource": {partial Resource},
    "organization"?, "project"?, "project_number"?, "folders"?, "location"?, "source"?}
    fills realistic defaults from the category (a catalog of Security Health Analytics,
    Event Threat Detection, Container Threat Detection and VM Manager categories; default
    PUBLIC_BUCKET_ACL) and returns {"finding", "resource", …} as stored. "source" is a display
    name ("Event Threat Detection") or a source id. A finding.name given in any of the six
    forms fixes organization/project, source, location and id; seeding an existing name merges
    the given top-level fields into it (a detector update). Also {"findings": [ {…}, … ]} for a
    batch -> {"findings": [...]}. Defaults: organization 123456789012, project hubble-prod
    (findings on an organization resource, e.g. MFA_NOT_ENFORCED, have no project unless one is
    given), location global, state ACTIVE, mute UNDEFINED, eventTime now, createTime = eventTime
    (a finding is first created when first detected; later events move eventTime only).
GET  /_emu/gcp/findings -> {"findings": [{"finding", "resource", "organization", "project",
    "location", "source"}]}
POST /_emu/gcp/findings/state {"name", "state"?, "mute"?, "event_time"?, "mute_initiator"?}
    a change made by another client or by the detector: a state change sets eventTime to
    "event_time" or now (as SCC does when a detector re-reports/resolves a finding); a mute
    change sets muteUpdateTime now and muteInitiator ("another-analyst@example.com" by
    default). "name" may be the name or the canonicalName. -> the stored pair.
POST /_emu/gcp/seed-demo  an organization (123456789012, acme.example) with folder
    456789012345 "Production" holding project acme-web-prod, project acme-data-dev directly
    under the organization, and 14 believable SHA / ETD / VM Manager findings (CIS
    compliances, MITRE ATT&CK, a CVE, one muted, one inactive, one on the organization).
POST /_emu/gcp/config {"page_size_over_max": "coerce" | "reject"}
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from typing import Any, Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cryptography.exceptions import InvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402

from emu_base import Emulator, Request, Response, json_response, serve  # noqa: E402

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
GOOGLE_TOKEN_URIS = {"https://oauth2.googleapis.com/token", "https://www.googleapis.com/oauth2/v4/token",
                     "https://accounts.google.com/o/oauth2/token"}
SCC_AUDIENCES = {"https://securitycenter.googleapis.com/", "https://securitycenter.googleapis.com"}
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
SUBJECT_TOKEN_TYPES = {"urn:ietf:params:oauth:token-type:jwt", "urn:ietf:params:oauth:token-type:id_token",
                       "urn:ietf:params:oauth:token-type:saml2", "urn:ietf:params:aws:token-type:aws4_request"}
CRM = "//cloudresourcemanager.googleapis.com"
DEFAULT_ORG = "123456789012"
DEFAULT_PROJECT = "hubble-prod"
SERVICE = "securitycenter.googleapis.com"
RPC = "google.cloud.securitycenter.v2.SecurityCenter."

STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
          405: "UNIMPLEMENTED", 409: "ABORTED", 412: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED",
          499: "CANCELLED", 500: "INTERNAL", 501: "UNIMPLEMENTED", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}
OAUTH_FAULT = {400: "invalid_request", 401: "invalid_client", 403: "access_denied", 429: "rate_limit_exceeded",
               503: "temporarily_unavailable"}

ENUMS = {
    "state": ("ACTIVE", "INACTIVE"),
    "severity": ("CRITICAL", "HIGH", "MEDIUM", "LOW"),
    "mute": ("MUTED", "UNMUTED", "UNDEFINED"),
    "findingClass": ("THREAT", "VULNERABILITY", "MISCONFIGURATION", "OBSERVATION", "SCC_ERROR",
                     "POSTURE_VIOLATION", "TOXIC_COMBINATION", "SENSITIVE_DATA_RISK"),
}
ENUM_UNSPECIFIED = {"state": "STATE_UNSPECIFIED", "severity": "SEVERITY_UNSPECIFIED", "mute": "MUTE_UNSPECIFIED",
                    "findingClass": "FINDING_CLASS_UNSPECIFIED"}

UNAUTH_MSG = ("Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
              "other valid authentication credential. See "
              "https://developers.google.com/identity/sign-in/web/devconsole-project.")
MISSING_MSG = ("Request is missing required authentication credential. Expected OAuth 2 access token, login "
               "cookie or other valid authentication credential. See "
               "https://developers.google.com/identity/sign-in/web/devconsole-project.")


class ApiError(Exception):
    def __init__(self, status: int, message: str, reason: str | None = None,
                 metadata: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.reason = status, message, reason
        self.metadata, self.headers = metadata or {}, headers or {}


class OAuthError(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


# ---- time ------------------------------------------------------------------------------------

_TS_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})")


def now_us() -> int:
    return time.time_ns() // 1000


def parse_ts(text: str) -> int:
    """RFC 3339 -> microseconds since the epoch; ValueError when not RFC 3339."""
    m = _TS_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if not m:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    y, mo, d, h, mi, s, frac, off = m.groups()
    dt = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), tzinfo=timezone.utc)
    us = int(dt.timestamp()) * 1_000_000 + int((frac or "0").ljust(9, "0")[:6])
    if off not in ("Z", "z"):
        sign = 1 if off[0] == "+" else -1
        us -= sign * (int(off[1:3]) * 3600 + int(off[4:6]) * 60) * 1_000_000
    return us


def fmt_ts(us: int) -> str:
    secs, frac = divmod(us, 1_000_000)
    base = datetime.fromtimestamp(secs, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    if frac == 0:
        return base + "Z"
    if frac % 1000 == 0:
        return f"{base}.{frac // 1000:03d}Z"
    return f"{base}.{frac:06d}Z"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def prune(value: Any) -> Any:
    """proto3 JSON: drop empty strings, lists, dicts and None (numbers/bools are kept as given)."""
    if isinstance(value, dict):
        out = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


# ---- catalog of finding categories -------------------------------------------------------------

SHA = "Security Health Analytics"
ETD = "Event Threat Detection"
CTD = "Container Threat Detection"
VMM = "VM Manager"


def cis(ids: list[str], versions=("1.0", "1.1", "1.2", "1.3", "2.0"), extra=()) -> list[dict]:
    return [{"standard": "cis", "version": v, "ids": list(ids)} for v in versions] + [
        {"standard": s, "version": v, "ids": list(i)} for s, v, i in extra]


# resource type -> (service, full name template, location)
RESOURCE_TYPES = {
    "google.cloud.storage.Bucket": ("storage.googleapis.com", "//storage.googleapis.com/{n}", "us"),
    "google.compute.Firewall": ("compute.googleapis.com",
                                "//compute.googleapis.com/projects/{p}/global/firewalls/{n}", "global"),
    "google.compute.Instance": ("compute.googleapis.com",
                                "//compute.googleapis.com/projects/{p}/zones/us-central1-a/instances/{n}",
                                "us-central1-a"),
    "google.compute.Subnetwork": ("compute.googleapis.com",
                                  "//compute.googleapis.com/projects/{p}/regions/us-central1/subnetworks/{n}",
                                  "us-central1"),
    "google.cloud.sql.Instance": ("sqladmin.googleapis.com", "//cloudsql.googleapis.com/projects/{p}/instances/{n}",
                                  "us-central1"),
    "google.iam.ServiceAccountKey": ("iam.googleapis.com",
                                     "//iam.googleapis.com/projects/{p}/serviceAccounts/"
                                     "{n}@{p}.iam.gserviceaccount.com/keys/3f6c1a9e0b2d4c5e8f7a6b5c4d3e2f1a0b9c8d7e",
                                     "global"),
    "google.iam.ServiceAccount": ("iam.googleapis.com",
                                  "//iam.googleapis.com/projects/{p}/serviceAccounts/{n}@{p}.iam.gserviceaccount.com",
                                  "global"),
    "google.container.Cluster": ("container.googleapis.com",
                                 "//container.googleapis.com/projects/{p}/locations/us-central1/clusters/{n}",
                                 "us-central1"),
    "google.cloud.bigquery.Dataset": ("bigquery.googleapis.com", "//bigquery.googleapis.com/projects/{p}/datasets/{n}",
                                      "us"),
    "google.cloud.kms.CryptoKey": ("cloudkms.googleapis.com",
                                   "//cloudkms.googleapis.com/projects/{p}/locations/global/keyRings/"
                                   "{n}-ring/cryptoKeys/{n}", "global"),
    "google.cloud.resourcemanager.Project": ("cloudresourcemanager.googleapis.com", CRM + "/projects/{num}", "global"),
    "google.cloud.resourcemanager.Organization": ("cloudresourcemanager.googleapis.com",
                                                  CRM + "/organizations/{org}", "global"),
}


def _etd_props(rule: str, sub: str, c: dict) -> dict:
    return {"detectionPriority": "HIGH", "detectionCategory": {"ruleName": rule, "subRuleName": sub},
            "evidence": [{"sourceLogId": {"projectId": c["p"], "resourceContainer": f"projects/{c['p']}",
                                          "timestamp": c["ts"], "insertId": c["fid"][:12]}}],
            "findingId": c["fid"]}


CATALOG: dict[str, dict[str, Any]] = {
    "PUBLIC_BUCKET_ACL": dict(
        source=SHA, cls="MISCONFIGURATION", sev="HIGH", rtype="google.cloud.storage.Bucket", n="{p}-public-assets",
        desc="Cloud Storage buckets should not be anonymously or publicly accessible.",
        next="Remove allUsers and allAuthenticatedUsers from the bucket's IAM policy and ACLs.",
        comp=cis(["5.1"], extra=[("pci", "3.2.1", ["7.1"]), ("nist", "800-53", ["AC-2"]),
                                 ("iso", "27001", ["A.14.1.3"])]),
        scanner="STORAGE_SCANNER", uri="https://console.cloud.google.com/storage/browser/{n};tab=permissions?project={p}"),
    "OPEN_FIREWALL": dict(
        source=SHA, cls="MISCONFIGURATION", sev="HIGH", rtype="google.compute.Firewall", n="default-allow-all",
        desc="Firewall rules that allow connections from all IP addresses (0.0.0.0/0) or on all ports can "
             "expose resources to attackers.",
        next="Restrict the source ranges and ports of the firewall rule.",
        comp=[{"standard": "pci", "version": "3.2.1", "ids": ["1.2.1"]},
              {"standard": "nist", "version": "800-53", "ids": ["SC-7"]}],
        scanner="FIREWALL_SCANNER", uri="https://console.cloud.google.com/networking/firewalls/details/{n}?project={p}"),
    "OPEN_SSH_PORT": dict(
        source=SHA, cls="MISCONFIGURATION", sev="HIGH", rtype="google.compute.Firewall", n="allow-ssh-from-anywhere",
        desc="Firewall rules that allow any IP address to connect to port 22 might expose SSH to attackers.",
        next="Restrict the firewall rule's source ranges for tcp:22, e.g. to the IAP range 35.235.240.0/20.",
        comp=cis(["3.6"], extra=[("pci", "3.2.1", ["1.2.1"]), ("nist", "800-53", ["SC-7"])]),
        scanner="FIREWALL_SCANNER", uri="https://console.cloud.google.com/networking/firewalls/details/{n}?project={p}"),
    "PUBLIC_IP_ADDRESS": dict(
        source=SHA, cls="MISCONFIGURATION", sev="HIGH", rtype="google.compute.Instance", n="web-frontend-1",
        desc="A Compute Engine instance has a public IP address.",
        next="Remove the external IP address and use Cloud NAT or IAP for access.",
        comp=cis(["4.9"], versions=("1.1", "1.2", "1.3", "2.0")),
        scanner="COMPUTE_INSTANCE_SCANNER",
        uri="https://console.cloud.google.com/compute/instancesDetail/zones/us-central1-a/instances/{n}?project={p}"),
    "SQL_PUBLIC_IP": dict(
        source=SHA, cls="MISCONFIGURATION", sev="HIGH", rtype="google.cloud.sql.Instance", n="orders-db",
        desc="A Cloud SQL database has a public IP address.",
        next="Configure the instance to use a private IP address only.",
        comp=cis(["6.6"], versions=("1.1", "1.2", "1.3", "2.0")),
        scanner="SQL_SCANNER", uri="https://console.cloud.google.com/sql/instances/{n}/overview?project={p}"),
    "MFA_NOT_ENFORCED": dict(
        source=SHA, cls="MISCONFIGURATION", sev="HIGH", rtype="google.cloud.resourcemanager.Organization", n="",
        desc="There are users who are not using 2-Step Verification.",
        next="Enforce 2-Step Verification for all users in the Google Workspace / Cloud Identity admin console.",
        comp=cis(["1.2"], extra=[("pci", "3.2.1", ["8.3"]), ("nist", "800-53", ["IA-2"])]),
        scanner="MFA_SCANNER", uri="https://admin.google.com/ac/security/2sv"),
    "SERVICE_ACCOUNT_KEY_NOT_ROTATED": dict(
        source=SHA, cls="MISCONFIGURATION", sev="MEDIUM", rtype="google.iam.ServiceAccountKey", n="etl-runner",
        desc="A user-managed service account key has not been rotated for more than 90 days.",
        next="Create a new key, move workloads to it and delete the old key.",
        comp=cis(["1.7"], extra=[("nist", "800-53", ["SC-12"])]),
        scanner="IAM_SCANNER", uri="https://console.cloud.google.com/iam-admin/serviceaccounts?project={p}"),
    "ADMIN_SERVICE_ACCOUNT": dict(
        source=SHA, cls="MISCONFIGURATION", sev="MEDIUM", rtype="google.iam.ServiceAccount", n="deployer",
        desc="A service account has Admin, Owner or Editor privileges.",
        next="Replace the basic role with narrowly scoped predefined roles.",
        comp=cis(["1.5"]), scanner="IAM_SCANNER", uri="https://console.cloud.google.com/iam-admin/iam?project={p}"),
    "AUDIT_LOGGING_DISABLED": dict(
        source=SHA, cls="MISCONFIGURATION", sev="LOW", rtype="google.cloud.resourcemanager.Project", n="",
        desc="Data Access audit logging is not enabled for all services and users.",
        next="Enable DATA_READ, DATA_WRITE and ADMIN_READ audit logs for allServices.",
        comp=cis(["2.1"]), scanner="LOGGING_SCANNER", uri="https://console.cloud.google.com/iam-admin/audit?project={p}"),
    "FLOW_LOGS_DISABLED": dict(
        source=SHA, cls="MISCONFIGURATION", sev="LOW", rtype="google.compute.Subnetwork", n="default",
        desc="A VPC subnetwork has flow logs disabled.", next="Enable VPC Flow Logs on the subnetwork.",
        comp=cis(["3.8"]), scanner="NETWORK_SCANNER",
        uri="https://console.cloud.google.com/networking/subnetworks/details/us-central1/{n}?project={p}"),
    "KMS_KEY_NOT_ROTATED": dict(
        source=SHA, cls="MISCONFIGURATION", sev="MEDIUM", rtype="google.cloud.kms.CryptoKey", n="app-data",
        desc="Rotation is not configured on a Cloud KMS encryption key.",
        next="Set a rotation period of at most 90 days.", comp=cis(["1.10"]), scanner="KMS_SCANNER",
        uri="https://console.cloud.google.com/security/kms/keyrings?project={p}"),
    "Persistence: IAM Anomalous Grant": dict(
        source=ETD, cls="THREAT", sev="HIGH", rtype="google.cloud.resourcemanager.Project", n="",
        desc="An external member was granted a sensitive role on the project.",
        next="Review the IAM policy change; remove the grant and rotate credentials if it was not intended.",
        mitre={"primaryTactic": "PERSISTENCE", "primaryTechniques": ["ACCOUNT_MANIPULATION"],
               "additionalTactics": ["PRIVILEGE_ESCALATION"], "additionalTechniques": ["VALID_ACCOUNTS"],
               "version": "15"},
        extra=lambda c: {
            "access": {"principalEmail": "ops-admin@acme.example", "callerIp": "203.0.113.45",
                       "callerIpGeo": {"regionCode": "US"}, "userAgent": "google-cloud-sdk gcloud/470.0.0",
                       "serviceName": "cloudresourcemanager.googleapis.com", "methodName": "SetIamPolicy"},
            "iamBindings": [{"action": "ADD", "role": "roles/owner", "member": "user:mallory.external@gmail.com"}],
            "sourceProperties": _etd_props("iam_anomalous_grant", "external_member_added_to_policy", c)},
        uri="https://console.cloud.google.com/logs/query?project={p}"),
    "Malware: Bad Domain": dict(
        source=ETD, cls="THREAT", sev="HIGH", rtype="google.compute.Instance", n="batch-worker-3",
        desc="A VM queried a domain known to be associated with malware.",
        next="Isolate the instance, inspect it and block the domain.",
        mitre={"primaryTactic": "COMMAND_AND_CONTROL", "primaryTechniques": ["DYNAMIC_RESOLUTION"], "version": "15"},
        extra=lambda c: {"indicator": {"domains": ["update-checker.badcdn.example"]},
                         "sourceProperties": _etd_props("bad_domain", "", c)},
        uri="https://console.cloud.google.com/logs/query?project={p}"),
    "Malware: Cryptomining Bad IP": dict(
        source=ETD, cls="THREAT", sev="HIGH", rtype="google.compute.Instance", n="gpu-train-2",
        desc="A VM connected to an IP address known to be used for cryptocurrency mining.",
        next="Stop the instance, review how it was compromised and rotate its credentials.",
        mitre={"primaryTactic": "IMPACT", "primaryTechniques": ["RESOURCE_HIJACKING"], "version": "15"},
        extra=lambda c: {"indicator": {"ipAddresses": ["198.51.100.23"]},
                         "connections": [{"destinationIp": "198.51.100.23", "destinationPort": 3333,
                                          "sourceIp": "10.128.0.7", "sourcePort": 51234, "protocol": "TCP"}],
                         "sourceProperties": _etd_props("bad_ip", "cryptomining", c)},
        uri="https://console.cloud.google.com/logs/query?project={p}"),
    "Exfiltration: BigQuery Data Exfiltration": dict(
        source=ETD, cls="THREAT", sev="HIGH", rtype="google.cloud.bigquery.Dataset", n="customer_analytics",
        desc="Data from a BigQuery dataset was copied to a resource outside the organization.",
        next="Review the copy job, revoke the principal's access and notify data owners.",
        mitre={"primaryTactic": "EXFILTRATION", "primaryTechniques": ["EXFILTRATION_TO_CLOUD_STORAGE",
                                                                      "EXFILTRATION_OVER_WEB_SERVICE"],
               "version": "15"},
        extra=lambda c: {
            "access": {"principalEmail": f"etl-runner@{c['p']}.iam.gserviceaccount.com", "callerIp": "192.0.2.10",
                       "serviceName": "bigquery.googleapis.com", "methodName": "google.cloud.bigquery.v2.JobService.InsertJob"},
            "exfiltration": {"sources": [{"name": f"//bigquery.googleapis.com/projects/{c['p']}/datasets/customer_analytics",
                                          "components": ["orders"]}],
                             "targets": [{"name": "//bigquery.googleapis.com/projects/outside-proj-991/datasets/dump"}]},
            "sourceProperties": _etd_props("exfil_to_external_table", "", c)},
        uri="https://console.cloud.google.com/bigquery?project={p}"),
    "Evasion: Access from Anonymizing Proxy": dict(
        source=ETD, cls="THREAT", sev="MEDIUM", rtype="google.cloud.resourcemanager.Project", n="",
        desc="A principal modified resources from a Tor exit node.",
        next="Verify the principal's activity and reset its credentials.",
        mitre={"primaryTactic": "DEFENSE_EVASION", "primaryTechniques": ["PROXY"], "version": "15"},
        extra=lambda c: {"access": {"principalEmail": "dev1@acme.example", "callerIp": "185.220.101.4",
                                    "serviceName": "compute.googleapis.com", "methodName": "v1.compute.instances.insert"},
                         "sourceProperties": _etd_props("anomalous_access", "tor_proxy", c)},
        uri="https://console.cloud.google.com/logs/query?project={p}"),
    "Execution: Added Binary Executed": dict(
        source=CTD, cls="THREAT", sev="HIGH", rtype="google.container.Cluster", n="prod-gke",
        desc="A binary that was not part of the original container image was executed.",
        next="Inspect the pod, cordon the node if needed and rebuild the image.",
        mitre={"primaryTactic": "EXECUTION", "primaryTechniques": ["NATIVE_API"], "version": "15"},
        extra=lambda c: {
            "kubernetes": {"pods": [{"ns": "shop", "name": "cart-7d9f8b6c5-x2k4q",
                                     "containers": [{"name": "cart", "uri": "us-docker.pkg.dev/acme/shop/cart:1.4.2",
                                                     "imageId": "sha256:4b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c"}]}]},
            "files": [{"path": "/tmp/xmrig", "size": "8123456",
                       "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}],
            "processes": [{"name": "xmrig", "binary": {"path": "/tmp/xmrig"}, "pid": "4242"}]},
        uri="https://console.cloud.google.com/kubernetes/workload?project={p}"),
    "OS_VULNERABILITY": dict(
        source=VMM, cls="VULNERABILITY", sev="CRITICAL", rtype="google.compute.Instance", n="bastion-1",
        desc="openssh-server 1:8.9p1-3ubuntu0.6 is affected by CVE-2024-6387 (regreSSHion).",
        next="Upgrade openssh-server to 1:8.9p1-3ubuntu0.10 or later.",
        extra=lambda c: {"vulnerability": {
            "cve": {"id": "CVE-2024-6387", "references": [{"source": "NVD",
                                                            "uri": "https://nvd.nist.gov/vuln/detail/CVE-2024-6387"}],
                    "cvssv3": {"baseScore": 8.1, "attackVector": "ATTACK_VECTOR_NETWORK",
                               "attackComplexity": "ATTACK_COMPLEXITY_HIGH",
                               "privilegesRequired": "PRIVILEGES_REQUIRED_NONE",
                               "userInteraction": "USER_INTERACTION_NONE", "scope": "SCOPE_UNCHANGED",
                               "confidentialityImpact": "IMPACT_HIGH", "integrityImpact": "IMPACT_HIGH",
                               "availabilityImpact": "IMPACT_HIGH"},
                    "upstreamFixAvailable": True, "impact": "HIGH", "exploitationActivity": "AVAILABLE"},
            "offendingPackage": {"packageName": "openssh-server", "packageVersion": "1:8.9p1-3ubuntu0.6",
                                 "packageType": "os", "cpeUri": "cpe:/o:canonical:ubuntu_linux:22.04"},
            "fixedPackage": {"packageName": "openssh-server", "packageVersion": "1:8.9p1-3ubuntu0.10",
                             "packageType": "os", "cpeUri": "cpe:/o:canonical:ubuntu_linux:22.04"}}},
        uri="https://console.cloud.google.com/compute/instancesDetail/zones/us-central1-a/instances/{n}?project={p}"),
}
GENERIC = dict(source="Custom Source", cls="MISCONFIGURATION", sev="MEDIUM",
               rtype="google.cloud.resourcemanager.Project", n="", desc="", next="")


# ---- filter language ---------------------------------------------------------------------------

class FilterError(Exception):
    pass


_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_NUM_RE = re.compile(r"-?\d+(?:\.\d+)?")


def tokenize(text: str) -> list[tuple[str, Any, int]]:
    toks: list[tuple[str, Any, int]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            toks.append((c, c, i))
            i += 1
        elif text.startswith((">=", "<=", "!="), i):
            toks.append(("OP", text[i:i + 2], i))
            i += 2
        elif c in "=<>:":
            toks.append(("OP", c, i))
            i += 1
        elif c in "\"'":
            j, buf = i + 1, []
            while True:
                if j >= n:
                    raise FilterError(f"unterminated string starting at position {i}")
                ch = text[j]
                if ch == "\\" and j + 1 < n:
                    buf.append(text[j + 1])
                    j += 2
                    continue
                if ch == c:
                    break
                buf.append(ch)
                j += 1
            toks.append(("STR", "".join(buf), i))
            i = j + 1
        elif c == "-" and toks and toks[-1][0] == "OP" and i + 1 < n and text[i + 1].isdigit():
            m = _NUM_RE.match(text, i)
            toks.append(("NUM", m.group(), i))
            i = m.end()
        elif c == "-":
            toks.append(("NEG", "-", i))
            i += 1
        elif c.isdigit():
            m = _NUM_RE.match(text, i)
            toks.append(("NUM", m.group(), i))
            i = m.end()
        else:
            m = _WORD_RE.match(text, i)
            if not m:
                raise FilterError(f"unexpected character {c!r} at position {i}")
            w = m.group()
            if w in ("AND", "OR", "NOT"):
                toks.append((w, w, i))
            elif w in ("true", "false"):
                toks.append(("BOOL", w == "true", i))
            else:
                toks.append(("IDENT", w, i))
            i = m.end()
    return toks


class Field:
    def __init__(self, getter: Callable[[dict], list], kind: str, ops: set[str],
                 enum: tuple[str, ...] = (), ci: bool = False) -> None:
        self.getter, self.kind, self.ops, self.enum, self.ci = getter, kind, ops, enum, ci


EQ_SUB = {"=", ":"}
TIME_OPS = {"=", ">", "<", ">=", "<="}


def _fget(*path: str) -> Callable[[dict], list]:
    def get(rec: dict) -> list:
        cur: Any = rec
        for p in path:
            if not isinstance(cur, dict) or p not in cur:
                return []
            cur = cur[p]
        if isinstance(cur, list):
            return cur
        return [] if cur is None else [cur]
    return get


def _folders(rec: dict) -> list:
    return [f.get("resourceFolder", "") for f in rec["resource"].get("gcpMetadata", {}).get("folders", [])]


FIELDS: dict[str, Field] = {
    "name": Field(_fget("finding", "name"), "str", {"="}),
    "parent": Field(_fget("finding", "parent"), "str", EQ_SUB),
    "resource_name": Field(_fget("finding", "resourceName"), "str", EQ_SUB),
    "state": Field(_fget("finding", "state"), "enum", EQ_SUB, ENUMS["state"]),
    "category": Field(_fget("finding", "category"), "str", EQ_SUB),
    "external_uri": Field(_fget("finding", "externalUri"), "str", EQ_SUB),
    "event_time": Field(_fget("finding", "eventTime"), "time", TIME_OPS),
    "severity": Field(_fget("finding", "severity"), "enum", EQ_SUB, ENUMS["severity"]),
    "mute": Field(_fget("finding", "mute"), "enum", EQ_SUB, ENUMS["mute"]),
    "finding_class": Field(_fget("finding", "findingClass"), "enum", EQ_SUB, ENUMS["findingClass"]),
    "resource.name": Field(_fget("resource", "name"), "str", EQ_SUB),
    "resource.display_name": Field(_fget("resource", "displayName"), "str", EQ_SUB),
    "resource.type": Field(_fget("resource", "type"), "str", EQ_SUB),
    "resource.parent_name": Field(_fget("resource", "gcpMetadata", "parent"), "str", EQ_SUB),
    "resource.parent_display_name": Field(_fget("resource", "gcpMetadata", "parentDisplayName"), "str", EQ_SUB),
    "resource.project_name": Field(_fget("resource", "gcpMetadata", "project"), "str", EQ_SUB),
    "resource.gcp_metadata.project": Field(_fget("resource", "gcpMetadata", "project"), "str", EQ_SUB),
    "resource.project_display_name": Field(_fget("resource", "gcpMetadata", "projectDisplayName"), "str", EQ_SUB),
    "resource.folders.resource_folder": Field(_folders, "str", EQ_SUB),
}


def resolve_field(name: str) -> Field:
    if name in FIELDS:
        return FIELDS[name]
    if name.startswith("security_marks.marks.") and len(name) > len("security_marks.marks."):
        key = name[len("security_marks.marks."):].lower()

        def marks(rec: dict) -> list:
            m = rec["finding"].get("securityMarks", {}).get("marks", {})
            return [v for k, v in m.items() if k.lower() == key]
        return Field(marks, "str", EQ_SUB, ci=True)
    if name.startswith("source_properties.") and len(name) > len("source_properties."):
        key = name[len("source_properties."):]

        def prop(rec: dict) -> list:
            props = rec["finding"].get("sourceProperties", {})
            if key not in props:
                return []
            v = props[key]
            return [v if isinstance(v, str) else json.dumps(v)]
        return Field(prop, "str", EQ_SUB)
    raise FilterError(f"unsupported field '{name}'")


class FilterParser:
    def __init__(self, text: str) -> None:
        self.toks = tokenize(text)
        self.i = 0

    def peek(self) -> tuple[str, Any, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, *kinds: str) -> tuple[str, Any, int]:
        t = self.peek()
        if t is None:
            raise FilterError(f"unexpected end of filter, expected {' or '.join(kinds)}")
        if t[0] not in kinds:
            raise FilterError(f"unexpected {t[1]!r} at position {t[2]}, expected {' or '.join(kinds)}")
        self.i += 1
        return t

    def parse(self):
        if not self.toks:
            return None
        node = self.expr()
        t = self.peek()
        if t is not None:
            raise FilterError(f"unexpected {t[1]!r} at position {t[2]}")
        return node

    def expr(self):  # AND has the lowest precedence
        node = self.seq()
        while self.peek() and self.peek()[0] == "AND":
            self.i += 1
            node = ("and", node, self.seq())
        return node

    def seq(self):  # juxtaposition = AND
        node = self.factor()
        while self.peek() and self.peek()[0] in ("IDENT", "NEG", "NOT", "("):
            node = ("and", node, self.factor())
        return node

    def factor(self):  # OR binds tighter than AND
        node = self.term()
        while self.peek() and self.peek()[0] == "OR":
            self.i += 1
            node = ("or", node, self.term())
        return node

    def term(self):
        t = self.peek()
        if t is None:
            raise FilterError("unexpected end of filter, expected a restriction")
        if t[0] in ("NOT", "NEG"):
            self.i += 1
            return ("not", self.term())
        if t[0] == "(":
            self.i += 1
            node = self.expr()
            self.take(")")
            return node
        return self.restriction()

    def restriction(self):
        name = self.take("IDENT")[1]
        field = resolve_field(name)
        op = self.take("OP")[1]
        vt = self.take("STR", "NUM", "BOOL")
        if op == "!=":
            raise FilterError(f"operator '!=' is not supported (use -{name}{'='}…)")
        if op not in field.ops:
            raise FilterError(f"operator '{op}' is not supported for field '{name}'")
        kind, value = vt[0], vt[1]
        if field.kind == "time":
            if kind == "NUM" and re.fullmatch(r"-?\d+", value):
                value = int(value) * 1000
            elif kind == "STR" and re.fullmatch(r"\d+", value):
                value = int(value) * 1000
            elif kind == "STR":
                try:
                    value = parse_ts(value)
                except ValueError:
                    raise FilterError(f"invalid time value {vt[1]!r} for field '{name}': expected RFC 3339 "
                                      "or milliseconds since epoch") from None
            else:
                raise FilterError(f"invalid value {vt[1]!r} for field '{name}'")
        else:
            if kind != "STR":
                raise FilterError(f"field '{name}' expects a quoted string value, got {vt[1]!r}")
            if field.kind == "enum" and op == "=" and value not in field.enum:
                raise FilterError(f"invalid value \"{value}\" for enum field '{name}' "
                                  f"(expected one of {', '.join(field.enum)})")
        return ("r", field, op, value)


def evaluate(node, rec: dict) -> bool:
    if node is None:
        return True
    tag = node[0]
    if tag == "and":
        return evaluate(node[1], rec) and evaluate(node[2], rec)
    if tag == "or":
        return evaluate(node[1], rec) or evaluate(node[2], rec)
    if tag == "not":
        return not evaluate(node[1], rec)
    _, field, op, value = node
    vals = field.getter(rec)
    if field.kind == "time":
        times = []
        for v in vals:
            try:
                times.append(parse_ts(v))
            except ValueError:
                pass
        cmp = {"=": lambda a: a == value, ">": lambda a: a > value, "<": lambda a: a < value,
               ">=": lambda a: a >= value, "<=": lambda a: a <= value}[op]
        return any(cmp(t) for t in times)
    strs = [v if isinstance(v, str) else json.dumps(v) for v in vals]
    if field.ci:
        strs, value = [s.lower() for s in strs], value.lower()
    if op == "=":
        return value in strs
    if value == "*":
        return bool(strs)
    return any(value in s for s in strs)


ORDER_FIELDS = {"name": ("finding", "name"), "parent": ("finding", "parent"), "state": ("finding", "state"),
                "category": ("finding", "category"), "resource_name": ("finding", "resourceName"),
                "event_time": ("finding", "eventTime")}


def parse_order_by(text: str) -> list[tuple[Callable[[dict], Any], bool]]:
    keys = []
    for part in text.split(","):
        words = part.split()
        if not words:
            if text.strip():
                raise ApiError(400, f"Invalid order_by: empty field in {text!r}")
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() != "desc"):
            raise ApiError(400, f"Invalid order_by: {part.strip()!r}; expected '<field>' or '<field> desc'")
        name, desc = words[0], len(words) == 2
        if name in ORDER_FIELDS:
            path = ORDER_FIELDS[name]
            if name == "event_time":
                def key(rec, path=path):
                    v = rec[path[0]].get(path[1])
                    return parse_ts(v) if v else -1
            else:
                def key(rec, path=path):
                    return rec[path[0]].get(path[1], "")
        elif name == "security_marks.marks":
            def key(rec):
                return json.dumps(sorted(rec["finding"].get("securityMarks", {}).get("marks", {}).items()))
        elif name.startswith("security_marks.marks."):
            mk = name[len("security_marks.marks."):].lower()

            def key(rec, mk=mk):
                m = rec["finding"].get("securityMarks", {}).get("marks", {})
                return next((v.lower() for k, v in m.items() if k.lower() == mk), "")
        else:
            raise ApiError(400, f"Invalid order_by: unsupported field '{name}'")
        keys.append((key, desc))
    return keys


# ---- the emulator ------------------------------------------------------------------------------

_SCOPE_RE = re.compile(r"(organizations|folders|projects)/([^/]+)")
_FINDING_NAME_RE = re.compile(
    r"(?P<kind>organizations|folders|projects)/(?P<id>[^/]+)/sources/(?P<source>[^/]+)"
    r"(?:/locations/(?P<loc>[^/]+))?/findings/(?P<fid>[^/:]+)")
LIST_PARAMS = {"filter": "filter", "orderBy": "orderBy", "order_by": "orderBy", "pageSize": "pageSize",
               "page_size": "pageSize", "pageToken": "pageToken", "page_token": "pageToken",
               "fieldMask": "fieldMask", "field_mask": "fieldMask"}
SYSTEM_PARAMS = {"key", "access_token", "alt", "$alt", "fields", "$fields", "prettyPrint", "quotaUser",
                 "callback", "upload_protocol", "uploadType", "$.xgafv", "userIp"}


class GcpScc(Emulator):
    name = "gcp_scc"

    def __init__(self) -> None:
        self._tl = threading.local()
        self.base_url = "http://127.0.0.1:0"
        super().__init__()
        r = self.route
        # OAuth / STS / IAM credentials / metadata
        r("POST", r"/token", self._api(self.h_token))
        r("POST", r"/v1/token", self._api(self.h_sts))
        r("POST", r"/v1/projects/-/serviceAccounts/(?P<email>[^/:]+):generateAccessToken",
          self._api(self.h_generate_access_token))
        r("GET", r"/", self.h_metadata)
        r("GET", r"/computeMetadata/v1/?(?P<rest>.*)", self.h_metadata)
        # SCC v2
        r("GET", r"/v2/(?P<kind>organizations|folders|projects)/(?P<id>[^/]+)/sources/(?P<source>[^/]+)"
                 r"(?:/locations/(?P<loc>[^/]+))?/findings", self._api(self.h_list))
        r("POST", r"/v2/(?P<name>(?:organizations|folders|projects)/[^/]+/sources/[^/]+(?:/locations/[^/]+)?"
                  r"/findings/[^/:]+):(?P<verb>setState|setMute)", self._api(self.h_set))
        # control
        r("POST", r"/_emu/gcp/service-accounts", self._api(self.c_service_account))
        r("POST", r"/_emu/gcp/authorized-users", self._api(self.c_authorized_user))
        r("POST", r"/_emu/gcp/external-accounts", self._api(self.c_external_account))
        r("GET", r"/_emu/gcp/subject-tokens/(?P<id>[^/]+)", self.c_subject_token)
        r("POST", r"/_emu/gcp/metadata", self._api(self.c_metadata))
        r("GET", r"/_emu/gcp/metadata", lambda q: json_response(200, dict(self.metadata_identity,
                                                                          scopes=list(self.metadata_identity["scopes"]))))
        r("POST", r"/_emu/gcp/token-lifetime", self._api(self.c_token_lifetime))
        r("POST", r"/_emu/gcp/expire-tokens", self._api(self.c_expire_tokens))
        r("POST", r"/_emu/gcp/deny", self._api(self.c_deny))
        r("GET", r"/_emu/gcp/deny", lambda q: json_response(200, {"denials": list(self.denials)}))
        r("DELETE", r"/_emu/gcp/deny", self._api(self.c_deny_clear))
        r("POST", r"/_emu/gcp/projects", self._api(self.c_project))
        r("GET", r"/_emu/gcp/projects", self._api(self.c_projects))
        r("POST", r"/_emu/gcp/findings", self._api(self.c_seed))
        r("GET", r"/_emu/gcp/findings", self._api(self.c_findings))
        r("POST", r"/_emu/gcp/findings/state", self._api(self.c_change))
        r("POST", r"/_emu/gcp/seed-demo", self._api(self.c_seed_demo))
        r("POST", r"/_emu/gcp/config", self._api(self.c_config))

    # ---- state ---------------------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.service_accounts: dict[str, dict] = {}     # email -> {public_key, key_id, project_id, client_id}
            self.key_ids: dict[str, str] = {}               # private_key_id -> email
            self.oauth_clients: dict[str, dict] = {}        # client_id -> {secret}
            self.refresh_tokens: dict[str, dict] = {}       # refresh token -> {client_id, email}
            self.external: dict[str, dict] = {}             # subject token -> registration
            self.subject_tokens: dict[str, str] = {}        # id -> subject token
            self.tokens: dict[str, dict] = {}               # access token -> {principal, scopes, expires, ...}
            self.token_lifetime = 3599
            self.jwt_cutoff = 0.0
            self.denials: list[dict] = []
            self.orgs: dict[str, str] = {}
            self.folders: dict[str, str] = {}
            self.projects: dict[str, dict] = {}
            self.sources: dict[tuple[str, str], str] = {}   # (org, display name) -> source id
            self.source_names: dict[str, str] = {}          # source id -> display name
            self.records: list[dict] = []
            self.seq = 0
            self.page_size_over_max = "coerce"
            self.metadata_identity = {"email": "100000000001-compute@developer.gserviceaccount.com",
                                      "project_id": DEFAULT_PROJECT, "project_number": "100000000001",
                                      "scopes": [CLOUD_PLATFORM]}

    def set_base(self, host: str, port: int) -> None:
        h = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host
        self.base_url = f"http://{h}:{port}"

    @property
    def token_uri(self) -> str:
        return self.base_url + "/token"

    # ---- plumbing ------------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        self._tl.path = req.path
        return super().handle(req)

    def error_body(self, status: int, message: str) -> Any:
        path = getattr(self._tl, "path", "")
        if path in ("/token", "/v1/token"):
            err = OAUTH_FAULT.get(status, "internal_failure" if status >= 500 else "invalid_request")
            return {"error": err, "error_description": message}
        body: dict[str, Any] = {"code": status, "message": message, "status": STATUS.get(status, "UNKNOWN")}
        if status == 429:
            body["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "RATE_LIMIT_EXCEEDED",
                                "domain": "googleapis.com", "metadata": {"service": SERVICE}}]
        return {"error": body}

    def _api_error(self, e: ApiError) -> Response:
        body = self.error_body(e.status, e.message)
        if e.reason and isinstance(body.get("error"), dict):
            body["error"]["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": e.reason,
                                         "domain": "googleapis.com", "metadata": dict({"service": SERVICE},
                                                                                      **e.metadata)}]
        return json_response(e.status, body, e.headers)

    def _api(self, fn: Callable[[Request], Response]) -> Callable[[Request], Response]:
        def wrapped(req: Request) -> Response:
            try:
                return fn(req)
            except ApiError as e:
                return self._api_error(e)
            except OAuthError as e:
                return json_response(e.status, {"error": e.error, "error_description": e.description},
                                     {"Cache-Control": "no-store"})
        return wrapped

    @staticmethod
    def _body(req: Request) -> dict:
        try:
            body = req.json()
        except ValueError as exc:
            raise ApiError(400, f"Invalid JSON payload received. {exc}") from None
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise ApiError(400, "Invalid JSON payload received. Expected an object.")
        return body

    # ---- tokens --------------------------------------------------------------------------------
    def _issue(self, principal: str, scopes: list[str], kind: str, lifetime: int | None = None) -> tuple[str, int]:
        life = self.token_lifetime if lifetime is None else lifetime
        tok = "ya29." + b64url(secrets.token_bytes(48))
        self.tokens[tok] = {"principal": principal, "scopes": set(scopes), "expires": time.time() + life,
                            "kind": kind}
        return tok, life

    def _sa_for_jwt(self, header: dict, claims: dict) -> dict | None:
        email = claims.get("iss")
        if email not in self.service_accounts and header.get("kid") in self.key_ids:
            email = self.key_ids[header["kid"]]
        return self.service_accounts.get(email)

    @staticmethod
    def _split_jwt(jwt: str) -> tuple[dict, dict, bytes, bytes]:
        parts = jwt.split(".")
        if len(parts) != 3:
            raise ValueError("a JWT has three dot-separated parts")
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise ValueError("JWT header and claims must be JSON objects")
        return header, claims, (parts[0] + "." + parts[1]).encode(), b64url_decode(parts[2])

    @staticmethod
    def _verify(sa: dict, signing_input: bytes, sig: bytes) -> bool:
        try:
            sa["public_key"].verify(sig, signing_input, padding.PKCS1v15(), hashes.SHA256())
            return True
        except InvalidSignature:
            return False

    @staticmethod
    def _times_ok(claims: dict) -> bool:
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)):
            return False
        now = time.time()
        return exp > now and iat <= now + 300 and 0 < exp - iat <= 3600

    def h_token(self, req: Request) -> Response:
        ctype = req.headers.get("content-type", "")
        if "json" in ctype:
            body = self._body(req)
            form = {k: str(v) for k, v in body.items()}
        else:
            form = req.form()
        grant = form.get("grant_type", "")
        with self.lock:
            if grant == JWT_BEARER:
                return self._jwt_grant(form)
            if grant == "refresh_token":
                return self._refresh_grant(form)
        if not grant:
            raise OAuthError(400, "invalid_request", "Missing required parameter: grant_type")
        raise OAuthError(400, "unsupported_grant_type", f"Invalid grant_type: {grant}")

    def _jwt_grant(self, form: dict) -> Response:
        assertion = form.get("assertion")
        if not assertion:
            raise OAuthError(400, "invalid_request", "Missing required parameter: assertion")
        try:
            header, claims, signing_input, sig = self._split_jwt(assertion)
        except (ValueError, json.JSONDecodeError) as exc:
            raise OAuthError(400, "invalid_grant", f"Invalid JWT: {exc}") from None
        if header.get("alg") != "RS256":
            raise OAuthError(400, "invalid_grant", "Invalid JWT: unsupported alg, expected RS256")
        sa = self.service_accounts.get(claims.get("iss"))
        if sa is None:
            raise OAuthError(400, "invalid_grant", "Invalid grant: account not found")
        if "kid" in header and header["kid"] != sa["key_id"]:
            raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.")
        if not self._verify(sa, signing_input, sig):
            raise OAuthError(400, "invalid_grant", "Invalid JWT Signature.")
        aud = claims.get("aud")
        if aud not in GOOGLE_TOKEN_URIS and aud != self.token_uri:
            raise OAuthError(400, "invalid_grant", "Invalid JWT: Failed audience check. The expected value was "
                                                   f"{self.token_uri} or https://oauth2.googleapis.com/token.")
        if not self._times_ok(claims):
            raise OAuthError(400, "invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) "
                                                   "and in a reasonable timeframe. Check your iat and exp values "
                                                   "in the JWT claim.")
        if claims.get("sub") not in (None, claims["iss"]):
            raise OAuthError(401, "unauthorized_client", "Client is unauthorized to retrieve access tokens using "
                                                         "this method, or client not authorized for any of the "
                                                         "scopes requested.")
        scopes = str(claims.get("scope") or "").split()
        if not scopes:
            raise OAuthError(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.")
        tok, life = self._issue(claims["iss"], scopes, "service_account")
        return json_response(200, {"access_token": tok, "expires_in": life, "token_type": "Bearer"},
                             {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"})

    def _refresh_grant(self, form: dict) -> Response:
        for p in ("client_id", "client_secret", "refresh_token"):
            if not form.get(p):
                raise OAuthError(400, "invalid_request", f"Missing required parameter: {p}")
        client = self.oauth_clients.get(form["client_id"])
        if client is None:
            raise OAuthError(401, "invalid_client", "The OAuth client was not found.")
        if client["secret"] != form["client_secret"]:
            raise OAuthError(401, "unauthorized_client", "Unauthorized")
        rt = self.refresh_tokens.get(form["refresh_token"])
        if rt is None or rt["client_id"] != form["client_id"]:
            raise OAuthError(400, "invalid_grant", "Token has been expired or revoked.")
        scopes = rt["scopes"]
        if form.get("scope"):
            asked = form["scope"].split()
            if not set(asked) <= set(scopes):
                raise OAuthError(400, "invalid_scope", "Some requested scopes were invalid.")
            scopes = asked
        tok, life = self._issue(rt["email"], scopes, "authorized_user")
        return json_response(200, {"access_token": tok, "expires_in": life, "scope": " ".join(scopes),
                                   "token_type": "Bearer"})

    def h_sts(self, req: Request) -> Response:
        form = req.form() if "json" not in req.headers.get("content-type", "") else \
            {k: str(v) for k, v in self._body(req).items()}
        if form.get("grant_type") != TOKEN_EXCHANGE:
            raise OAuthError(400, "unsupported_grant_type",
                             f"Invalid value for \"grant_type\": {form.get('grant_type', '')!r}")
        for p in ("audience", "subject_token", "subject_token_type", "requested_token_type"):
            if not form.get(p):
                raise OAuthError(400, "invalid_request", f"Missing required parameter: \"{p}\".")
        if form["requested_token_type"] != ACCESS_TOKEN_TYPE:
            raise OAuthError(400, "invalid_request", "Invalid value for \"requested_token_type\".")
        if form["subject_token_type"] not in SUBJECT_TOKEN_TYPES:
            raise OAuthError(400, "invalid_request", "Invalid value for \"subject_token_type\".")
        with self.lock:
            reg = self.external.get(form["subject_token"])
            if reg is None or reg["audience"] != form["audience"]:
                raise OAuthError(400, "invalid_grant", "The audience in ID Token [subject_token] does not match "
                                                       "the expected audience, or the token is invalid.")
            if reg["subject_token_type"] != form["subject_token_type"]:
                raise OAuthError(400, "invalid_request", "Invalid value for \"subject_token_type\".")
            tok, life = self._issue(reg["principal"], form.get("scope", "").split(), "sts")
            self.tokens[tok]["may_impersonate"] = reg.get("impersonate")
        return json_response(200, {"access_token": tok, "issued_token_type": ACCESS_TOKEN_TYPE,
                                   "token_type": "Bearer", "expires_in": life})

    def h_generate_access_token(self, req: Request) -> Response:
        email = req.match["email"]
        with self.lock:
            caller = self._authenticate(req)
            body = self._body(req)
            if email not in self.service_accounts:
                raise ApiError(404, f"Not found; Gaia id not found for email {email}")
            info = self.tokens.get(caller.get("token", ""), {})
            if caller["principal"] != email and info.get("may_impersonate") != email:
                raise ApiError(403, "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may "
                                    "not exist).", reason="IAM_PERMISSION_DENIED",
                               metadata={"permission": "iam.serviceAccounts.getAccessToken"})
            scopes = body.get("scope") or []
            if not isinstance(scopes, list) or not scopes:
                raise ApiError(400, "Scope required.")
            lifetime = body.get("lifetime", "3600s")
            m = re.fullmatch(r"(\d+)(?:\.\d+)?s", str(lifetime))
            if not m or not 0 < int(m.group(1)) <= 3600:
                raise ApiError(400, "The lifetime must be a duration of at most 3600s.")
            life = min(int(m.group(1)), self.token_lifetime)
            tok, life = self._issue(email, scopes, "impersonated", life)
        return json_response(200, {"accessToken": tok, "expireTime": fmt_ts(int((time.time() + life) * 1e6))})

    # ---- metadata server ------------------------------------------------------------------------
    def h_metadata(self, req: Request) -> Response:
        hdr = {"Metadata-Flavor": "Google", "Server": "Metadata Server for VM"}
        if req.headers.get("metadata-flavor") != "Google":
            return Response(403, "<html><body><p>Your client does not have permission to get URL "
                                 f"<code>{req.path}</code> from this server. Missing Metadata-Flavor:Google "
                                 "header.</p></body></html>", hdr, "text/html; charset=UTF-8")
        rest = (req.match.groupdict().get("rest") or "").rstrip("/") if req.path != "/" else None
        ident = self.metadata_identity
        text = None
        if rest is None or rest == "":
            text = "computeMetadata/\n" if rest is None else "instance/\noauth/\nproject/\n"
        elif rest == "instance/service-accounts/default/token":
            scopes = [s for s in (req.q("scopes") or "").split(",") if s] or list(ident["scopes"])
            with self.lock:
                tok, life = self._issue(ident["email"], scopes, "metadata")
            return json_response(200, {"access_token": tok, "expires_in": life, "token_type": "Bearer"}, hdr)
        elif rest == "instance/service-accounts/default/email":
            text = ident["email"]
        elif rest == "instance/service-accounts/default/scopes":
            text = "\n".join(ident["scopes"]) + "\n"
        elif rest == "project/project-id":
            text = ident["project_id"]
        elif rest == "project/numeric-project-id":
            text = ident["project_number"]
        if text is None:
            return Response(404, "Not Found\n", hdr, "text/html; charset=UTF-8")
        return Response(200, text, hdr, "application/text")

    # ---- API authentication / authorization ----------------------------------------------------
    def _unauth(self, message: str, reason: str, method: str = "") -> ApiError:
        meta = {"method": RPC + method} if method else {}
        return ApiError(401, message, reason=reason, metadata=meta,
                        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", '
                                                     'error="invalid_token"'})

    def _authenticate(self, req: Request, method: str = "", need_scope: bool = True) -> dict:
        h = req.headers.get("authorization")
        if not h:
            raise self._unauth(MISSING_MSG, "CREDENTIALS_MISSING", method)
        m = re.fullmatch(r"[Bb]earer\s+(\S+)\s*", h)
        if not m:
            raise self._unauth(UNAUTH_MSG, "ACCESS_TOKEN_TYPE_UNSUPPORTED", method)
        tok = m.group(1)
        info = self.tokens.get(tok)
        if info is not None:
            if info["expires"] <= time.time():
                raise self._unauth(UNAUTH_MSG, "ACCESS_TOKEN_EXPIRED", method)
            principal, scopes = info["principal"], info["scopes"]
        elif tok.count(".") == 2:
            principal, scopes = self._self_signed(tok, method)
        else:
            raise self._unauth(UNAUTH_MSG, "ACCESS_TOKEN_TYPE_UNSUPPORTED", method)
        if need_scope and CLOUD_PLATFORM not in scopes:
            raise ApiError(403, "Request had insufficient authentication scopes.",
                           reason="ACCESS_TOKEN_SCOPE_INSUFFICIENT", metadata={"method": RPC + method})
        return {"principal": principal, "scopes": scopes, "token": tok}

    def _self_signed(self, tok: str, method: str) -> tuple[str, set]:
        try:
            header, claims, signing_input, sig = self._split_jwt(tok)
        except (ValueError, json.JSONDecodeError):
            raise self._unauth(UNAUTH_MSG, "ACCESS_TOKEN_TYPE_UNSUPPORTED", method) from None
        sa = self._sa_for_jwt(header, claims)
        if (sa is None or header.get("alg") != "RS256" or claims.get("iss") != sa["email"]
                or claims.get("sub", sa["email"]) != sa["email"] or not self._verify(sa, signing_input, sig)):
            raise self._unauth(UNAUTH_MSG, "ACCESS_TOKEN_TYPE_UNSUPPORTED", method)
        if not self._times_ok(claims) or claims["iat"] < int(self.jwt_cutoff):
            raise self._unauth(UNAUTH_MSG, "ACCESS_TOKEN_EXPIRED", method)
        base = self.base_url
        aud_ok = claims.get("aud") in SCC_AUDIENCES | {base, base + "/"}
        scopes = set(str(claims.get("scope") or "").split())
        if aud_ok:
            scopes.add(CLOUD_PLATFORM)
        elif not scopes:
            raise self._unauth(UNAUTH_MSG, "ACCESS_TOKEN_TYPE_UNSUPPORTED", method)
        return sa["email"], scopes

    def _same_scope(self, a: tuple[str, str], b: tuple[str, str]) -> bool:
        if a[0] != b[0]:
            return False
        if a[1] == b[1]:
            return True
        if a[0] == "projects":
            pa, pb = self._project_of(a[1]), self._project_of(b[1])
            return pa is not None and pa is pb
        return False

    def _authorize(self, principal: str, scope: tuple[str, str], permission: str, resource: str) -> None:
        for d in self.denials:
            if d["email"] != principal or (d["permission"] and d["permission"] != permission):
                continue
            if d["parent"] == "*" or self._same_scope(tuple(d["parent"].split("/", 1)), scope):
                raise ApiError(403, f"Permission '{permission}' denied on resource '//{SERVICE}/{resource}' "
                                    "(or it may not exist).", reason="IAM_PERMISSION_DENIED",
                               metadata={"permission": permission, "resource": resource})

    # ---- hierarchy -------------------------------------------------------------------------------
    def _project_of(self, ident: str) -> dict | None:
        if ident in self.projects:
            return self.projects[ident]
        for p in self.projects.values():
            if p["number"] == ident:
                return p
        return None

    def _ensure_project(self, pid: str, number: str | None = None, org: str | None = None,
                        folders: list | None = None) -> dict:
        p = self._project_of(pid)
        if p is None:
            num = number or str(100000000000 + int(hashlib.sha256(pid.encode()).hexdigest(), 16) % 900000000000)
            p = {"project_id": pid, "number": num, "org": org or DEFAULT_ORG, "folders": []}
            self.projects[pid] = p
        else:
            if number and number != p["number"]:
                raise ApiError(400, f"project {pid} already has number {p['number']}")
            if org:
                p["org"] = org
        self.orgs.setdefault(p["org"], f"org-{p['org']}.example")
        if folders is not None:
            ids = []
            for f in folders:
                if isinstance(f, dict):
                    fid, disp = str(f["id"]), f.get("displayName") or f.get("display_name")
                else:
                    fid, disp = str(f), None
                self.folders[fid] = disp or self.folders.get(fid) or f"folder-{fid}"
                ids.append(fid)
            p["folders"] = ids
        return p

    def _source_id(self, org: str, source: str) -> tuple[str, str]:
        if source.isdigit():
            return source, self.source_names.get(source, "Custom Source")
        key = (org, source)
        if key not in self.sources:
            sid = str(10 ** 18 + int(hashlib.sha256(f"{org}/{source}".encode()).hexdigest(), 16) % (9 * 10 ** 18))
            self.sources[key] = sid
            self.source_names[sid] = source
        return self.sources[key], source

    def _in_scope(self, rec: dict, kind: str, ident: str) -> bool:
        if kind == "organizations":
            return rec["org"] == ident
        proj = self.projects.get(rec["project"]) if rec["project"] else None
        if proj is None:
            return False
        if kind == "folders":
            return ident in proj["folders"]
        return ident in (proj["project_id"], proj["number"])

    # ---- SCC API -----------------------------------------------------------------------------
    def h_list(self, req: Request) -> Response:
        m = req.match
        kind, ident, source, loc = m["kind"], m["id"], m["source"], m["loc"] or "global"
        parent = req.path[len("/v2/"):-len("/findings")]
        params: dict[str, str] = {}
        for k, v in req.query.items():
            if k in LIST_PARAMS:
                params[LIST_PARAMS[k]] = v[-1]
            elif k not in SYSTEM_PARAMS:
                raise ApiError(400, f"Invalid JSON payload received. Unknown name \"{k}\": Cannot bind query "
                                    f"parameter. Field '{k}' could not be found in request message.")
        with self.lock:
            caller = self._authenticate(req, "ListFindings")
            self._authorize(caller["principal"], (kind, ident), "securitycenter.findings.list", parent)
            raw_size = params.get("pageSize", "")
            try:
                size = int(raw_size) if raw_size != "" else 0
            except ValueError:
                raise ApiError(400, f"Invalid value at 'page_size' (TYPE_INT32), \"{raw_size}\"") from None
            if size < 0:
                raise ApiError(400, "page_size must not be negative.")
            if size > 1000 and self.page_size_over_max == "reject":
                raise ApiError(400, "page_size must be between 1 and 1000.")
            size = min(size or 10, 1000)
            try:
                tree = FilterParser(params.get("filter", "")).parse()
            except FilterError as exc:
                raise ApiError(400, f"Invalid filter: {exc}") from None
            order = parse_order_by(params.get("orderBy", ""))
            fingerprint = hashlib.sha256(json.dumps([parent, params.get("filter", ""),
                                                     params.get("orderBy", "")]).encode()).hexdigest()[:16]
            offset = 0
            if params.get("pageToken"):
                try:
                    tok = json.loads(b64url_decode(params["pageToken"]))
                    offset, fp = int(tok["o"]), tok["q"]
                except Exception:
                    raise ApiError(400, "Invalid page token.") from None
                if fp != fingerprint or offset < 0:
                    raise ApiError(400, "The page token does not match the request (parent, filter and "
                                        "orderBy must not change between pages).")
            matched = [r for r in self.records
                       if self._in_scope(r, kind, ident) and (source == "-" or r["source"] == source)
                       and r["location"] == loc and evaluate(tree, r)]
            for key, desc in reversed(order):
                matched.sort(key=key, reverse=desc)
            page = matched[offset:offset + size]
            mask = [camel(p.strip().removeprefix("finding.")) for p in params.get("fieldMask", "").split(",")
                    if p.strip()]
            results = []
            for r in page:
                f = json.loads(json.dumps(r["finding"]))
                if mask:
                    f = {k: v for k, v in f.items() if k in mask}
                results.append({"finding": f, "resource": json.loads(json.dumps(r["resource"]))})
            body: dict[str, Any] = {"listFindingsResults": results, "totalSize": len(matched)}
            if offset + size < len(matched):
                body["nextPageToken"] = b64url(json.dumps({"o": offset + size, "q": fingerprint}).encode())
        return json_response(200, {k: v for k, v in body.items() if v not in ([], 0, "")})

    def _find(self, name: str, check_scope: bool = True) -> dict:
        m = _FINDING_NAME_RE.fullmatch(name)
        if not m:
            raise ApiError(404, "Requested entity was not found.")
        loc = m["loc"] or "global"
        for r in self.records:
            if r["source"] == m["source"] and r["location"] == loc and r["fid"] == m["fid"]:
                if not check_scope or self._in_scope(r, m["kind"], m["id"]):
                    return r
        raise ApiError(404, "Requested entity was not found.")

    def h_set(self, req: Request) -> Response:
        name, verb = req.match["name"], req.match["verb"]
        method = "SetFindingState" if verb == "setState" else "SetMute"
        scope = tuple(_SCOPE_RE.match(name).groups())
        with self.lock:
            caller = self._authenticate(req, method)
            perm = "securitycenter.findings." + verb
            self._authorize(caller["principal"], scope, perm, name)
            body = self._body(req)
            field = "state" if verb == "setState" else "mute"
            allowed = {field, "name"}
            for k in body:
                if k not in allowed:
                    raise ApiError(400, f"Invalid JSON payload received. Unknown name \"{k}\": Cannot find field.")
            if "name" in body and body["name"] not in ("", name):
                raise ApiError(400, "The name in the request body does not match the URL.")
            value = self._enum_value(field, body.get(field), "SetFindingStateRequest" if field == "state"
                                     else "SetMuteRequest")
            if field == "mute" and value == "UNDEFINED":
                raise ApiError(400, "mute must be MUTED or UNMUTED.")
            rec = self._find(name)
            f = rec["finding"]
            now = now_us()
            if field == "state":
                if f.get("state") != value:
                    f["state"] = value
                    f["eventTime"] = fmt_ts(now)
            else:
                self._apply_mute(f, value, caller["principal"], now)
            out = json.loads(json.dumps(f))
        return json_response(200, out)

    @staticmethod
    def _apply_mute(f: dict, value: str, initiator: str, now: int) -> None:
        f["mute"] = value
        f["muteUpdateTime"] = fmt_ts(now)
        f["muteInitiator"] = initiator
        f["muteInfo"] = {"staticMute": {"state": value, "applyTime": fmt_ts(now)}}

    @staticmethod
    def _enum_value(field: str, value: Any, message: str = "Finding") -> str:
        names = ENUMS[field]
        if isinstance(value, int) and not isinstance(value, bool):
            if 1 <= value <= len(names):
                return names[value - 1]
        elif isinstance(value, str) and value in names:
            return value
        if value is None or value == ENUM_UNSPECIFIED[field] or value == 0:
            raise ApiError(400, f"{field} is required and must not be {ENUM_UNSPECIFIED[field]}.")
        snake = re.sub(r"([A-Z])", r"_\1", field).lower()
        raise ApiError(400, f"Invalid value at '{snake}' (type.googleapis.com/google.cloud.securitycenter.v2."
                            f"Finding.{field[0].upper() + field[1:]}), {json.dumps(value)}")

    # ---- control: credentials ---------------------------------------------------------------------
    def c_service_account(self, req: Request) -> Response:
        body = self._body(req)
        project = body.get("project_id") or DEFAULT_PROJECT
        email = body.get("email") or f"hubble-reader-{secrets.token_hex(3)}@{project}.iam.gserviceaccount.com"
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
        key_id = secrets.token_hex(20)
        client_id = str(100000000000000000000 + secrets.randbelow(10 ** 20))
        with self.lock:
            old = self.service_accounts.get(email)
            if old:
                self.key_ids.pop(old["key_id"], None)
            self.service_accounts[email] = {"email": email, "public_key": key.public_key(), "key_id": key_id,
                                            "project_id": project, "client_id": client_id}
            self.key_ids[key_id] = email
        return json_response(200, {
            "type": "service_account", "project_id": project, "private_key_id": key_id, "private_key": pem,
            "client_email": email, "client_id": client_id,
            "auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": self.token_uri,
            "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
            "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/"
                                    + urllib.parse.quote(email, safe=""),
            "universe_domain": "googleapis.com"})

    def c_authorized_user(self, req: Request) -> Response:
        body = self._body(req)
        email = body.get("email") or "analyst@acme.example"
        client_id = f"{secrets.randbelow(10 ** 12):012d}-{secrets.token_hex(16)}.apps.googleusercontent.com"
        secret = "GOCSPX-" + b64url(secrets.token_bytes(21))
        refresh = "1//0" + b64url(secrets.token_bytes(60))
        with self.lock:
            self.oauth_clients[client_id] = {"secret": secret}
            self.refresh_tokens[refresh] = {"client_id": client_id, "email": email,
                                            "scopes": body.get("scopes") or [CLOUD_PLATFORM, "openid",
                                                                             "https://www.googleapis.com/auth/userinfo.email"]}
        out = {"type": "authorized_user", "client_id": client_id, "client_secret": secret,
               "refresh_token": refresh, "token_uri": self.token_uri, "account": email,
               "universe_domain": "googleapis.com"}
        if body.get("quota_project_id"):
            out["quota_project_id"] = body["quota_project_id"]
        return json_response(200, out)

    def c_external_account(self, req: Request) -> Response:
        body = self._body(req)
        audience = body.get("audience") or ("//iam.googleapis.com/projects/100000000001/locations/global/"
                                            "workloadIdentityPools/hubble-pool/providers/hubble-oidc")
        subject = body.get("subject") or "system:serviceaccount:soc:hubble"
        stt = body.get("subject_token_type") or "urn:ietf:params:oauth:token-type:jwt"
        if stt not in SUBJECT_TOKEN_TYPES:
            raise ApiError(400, f"unsupported subject_token_type {stt}")
        token = body.get("subject_token") or "eyJhbGciOiJSUzI1NiJ9.emu-subject." + b64url(secrets.token_bytes(24))
        pool = re.sub(r"^//iam\.googleapis\.com/", "", audience).split("/providers/")[0]
        principal = f"principal://iam.googleapis.com/{pool}/subject/{subject}"
        sid = secrets.token_hex(8)
        with self.lock:
            self.external[token] = {"audience": audience, "subject_token_type": stt, "principal": principal,
                                    "impersonate": body.get("impersonate")}
            self.subject_tokens[sid] = token
        creds: dict[str, Any] = {
            "type": "external_account", "audience": audience, "subject_token_type": stt,
            "token_url": self.base_url + "/v1/token",
            "credential_source": ({"file": body["credential_file"]} if body.get("credential_file") else
                                  {"url": f"{self.base_url}/_emu/gcp/subject-tokens/{sid}", "format": {"type": "text"}}),
            "universe_domain": "googleapis.com"}
        if body.get("impersonate"):
            creds["service_account_impersonation_url"] = (
                f"{self.base_url}/v1/projects/-/serviceAccounts/{body['impersonate']}:generateAccessToken")
        return json_response(200, {"credentials": creds, "subject_token": token, "principal": principal})

    def c_subject_token(self, req: Request) -> Response:
        tok = self.subject_tokens.get(req.match["id"])
        if tok is None:
            return json_response(404, {"message": "unknown subject token"})
        return Response(200, tok, {}, "text/plain")

    def c_metadata(self, req: Request) -> Response:
        body = self._body(req)
        with self.lock:
            for k in ("email", "project_id", "project_number"):
                if body.get(k):
                    self.metadata_identity[k] = str(body[k])
            if body.get("scopes"):
                self.metadata_identity["scopes"] = list(body["scopes"])
            return json_response(200, dict(self.metadata_identity))

    def c_token_lifetime(self, req: Request) -> Response:
        secs = self._body(req).get("seconds")
        if not isinstance(secs, (int, float)) or secs <= 0:
            raise ValueError("'seconds' must be a positive number")
        with self.lock:
            self.token_lifetime = int(secs) if secs >= 1 else secs
        return json_response(200, {"seconds": self.token_lifetime})

    def c_expire_tokens(self, req: Request) -> Response:
        with self.lock:
            n = 0
            for t in self.tokens.values():
                if t["expires"] > time.time():
                    n += 1
                t["expires"] = 0
            self.jwt_cutoff = time.time()
        return json_response(200, {"expired": n})

    def c_deny(self, req: Request) -> Response:
        body = self._body(req)
        if not body.get("email") or not body.get("parent"):
            raise ValueError("'email' and 'parent' are required")
        parent = str(body["parent"]).strip("/")
        if parent != "*" and not re.fullmatch(r"(organizations|folders|projects)/[^/]+", parent):
            raise ValueError("'parent' must be organizations/ID, folders/ID, projects/ID or *")
        with self.lock:
            self.denials.append({"email": body["email"], "parent": parent, "permission": body.get("permission")})
            return json_response(200, {"denials": list(self.denials)})

    def c_deny_clear(self, req: Request) -> Response:
        with self.lock:
            n = len(self.denials)
            self.denials.clear()
        return json_response(200, {"cleared": n})

    def c_config(self, req: Request) -> Response:
        body = self._body(req)
        v = body.get("page_size_over_max")
        if v not in ("coerce", "reject"):
            raise ValueError("'page_size_over_max' must be 'coerce' or 'reject'")
        with self.lock:
            self.page_size_over_max = v
        return json_response(200, {"page_size_over_max": v})

    # ---- control: hierarchy and findings -----------------------------------------------------------
    def c_project(self, req: Request) -> Response:
        body = self._body(req)
        if not body.get("project_id"):
            raise ValueError("'project_id' is required")
        with self.lock:
            p = self._ensure_project(str(body["project_id"]), body.get("project_number") and str(body["project_number"]),
                                     body.get("organization") and str(body["organization"]), body.get("folders"))
            if body.get("organization_display_name"):
                self.orgs[p["org"]] = body["organization_display_name"]
            return json_response(200, dict(p))

    def c_projects(self, req: Request) -> Response:
        with self.lock:
            return json_response(200, {"projects": [dict(p) for p in self.projects.values()],
                                       "folders": dict(self.folders), "organizations": dict(self.orgs)})

    def c_seed(self, req: Request) -> Response:
        body = self._body(req)
        with self.lock:
            if "findings" in body:
                if not isinstance(body["findings"], list):
                    raise ValueError("'findings' must be a list")
                return json_response(200, {"findings": [self._seed_one(b) for b in body["findings"]]})
            return json_response(200, self._seed_one(body))

    def c_findings(self, req: Request) -> Response:
        with self.lock:
            return json_response(200, {"findings": [self._export(r) for r in self.records]})

    @staticmethod
    def _export(rec: dict) -> dict:
        return json.loads(json.dumps({"finding": rec["finding"], "resource": rec["resource"],
                                      "organization": rec["org"], "project": rec["project"],
                                      "location": rec["location"], "source": rec["source"]}))

    def c_change(self, req: Request) -> Response:
        body = self._body(req)
        if not body.get("name"):
            raise ValueError("'name' is required")
        with self.lock:
            rec = next((r for r in self.records if body["name"] in (r["finding"]["name"],
                                                                    r["finding"].get("canonicalName"))), None)
            if rec is None:
                rec = self._find(body["name"], check_scope=False)
            f, now = rec["finding"], now_us()
            if body.get("state") is not None:
                f["state"] = self._enum_value("state", body["state"])
                f["eventTime"] = fmt_ts(parse_ts(body["event_time"]) if body.get("event_time") else now)
            elif body.get("event_time"):
                f["eventTime"] = fmt_ts(parse_ts(body["event_time"]))
            if body.get("mute") is not None:
                self._apply_mute(f, self._enum_value("mute", body["mute"]),
                                 body.get("mute_initiator") or "another-analyst@example.com", now)
            return json_response(200, self._export(rec))

    def _seed_one(self, body: dict) -> dict:
        if not isinstance(body, dict):
            raise ValueError("each finding must be an object")
        unknown = set(body) - {"finding", "resource", "organization", "project", "project_number", "folders",
                               "location", "source"}
        if unknown:
            raise ValueError(f"unknown keys: {sorted(unknown)}")
        f_in = dict(body.get("finding") or {})
        r_in = dict(body.get("resource") or {})
        org = str(body["organization"]) if body.get("organization") else None
        project = str(body["project"]) if body.get("project") else None
        location = body.get("location")
        source = str(body["source"]) if body.get("source") else None
        fid = None
        name_kind = None
        if f_in.get("name"):
            m = _FINDING_NAME_RE.fullmatch(f_in["name"])
            if not m:
                raise ValueError(f"finding.name {f_in['name']!r} is not a finding name")
            existing = next((r for r in self.records if r["source"] == m["source"]
                             and r["location"] == (m["loc"] or "global") and r["fid"] == m["fid"]), None)
            if existing is not None:
                return self._merge(existing, f_in, r_in)
            name_kind = m["kind"]
            if m["kind"] == "organizations":
                org = org or m["id"]
            elif m["kind"] == "projects":
                project = project or m["id"]
            source, location, fid = m["source"], m["loc"] or location or "global", m["fid"]
        category = f_in.get("category") or "PUBLIC_BUCKET_ACL"
        spec = CATALOG.get(category, GENERIC)
        rtype = r_in.get("type") or spec["rtype"]
        org_level = rtype == "google.cloud.resourcemanager.Organization"
        if project is None and not org_level:
            project = DEFAULT_PROJECT
        proj = None
        if project:
            proj = self._ensure_project(project, body.get("project_number") and str(body["project_number"]), org,
                                        body.get("folders"))
            org = proj["org"]
        org = org or DEFAULT_ORG
        self.orgs.setdefault(org, f"org-{org}.example")
        location = location or "global"
        sid, sname = self._source_id(org, source or spec["source"])
        fid = fid or secrets.token_hex(16)
        now = now_us()
        pid = proj["project_id"] if proj else ""
        num = proj["number"] if proj else ""

        # resource
        service, tmpl, rloc = RESOURCE_TYPES.get(rtype, ("", "//{svc}/{n}", "global"))
        short = (spec.get("n") or "resource").format(p=pid or "org")
        rname = r_in.get("name") or f_in.get("resourceName") or tmpl.format(p=pid, num=num, org=org, n=short,
                                                                             svc=service or "example.googleapis.com")
        if rtype == "google.cloud.resourcemanager.Project":
            disp = pid
        elif org_level:
            disp = self.orgs[org]
        else:
            disp = rname.rstrip("/").rsplit("/", 1)[-1]
        folder_ids = proj["folders"] if proj else []
        folders = [{"resourceFolder": f"{CRM}/folders/{f}", "resourceFolderDisplayName": self.folders.get(f, "")}
                   for f in folder_ids]
        if proj and rtype == "google.cloud.resourcemanager.Project":
            par, par_disp = ((f"{CRM}/folders/{folder_ids[0]}", self.folders.get(folder_ids[0], "")) if folder_ids
                             else (f"{CRM}/organizations/{org}", self.orgs[org]))
        elif proj:
            par, par_disp = f"{CRM}/projects/{num}", pid
        else:
            par, par_disp = "", ""
        nodes = ([{"nodeType": "GCP_PROJECT", "id": num, "displayName": pid}] if proj else []) + \
            [{"nodeType": "GCP_FOLDER", "id": f, "displayName": self.folders.get(f, "")} for f in folder_ids] + \
            [{"nodeType": "GCP_ORGANIZATION", "id": org, "displayName": self.orgs[org]}]
        path_str = f"organizations/{org}" + "".join(f"/folders/{f}" for f in reversed(folder_ids)) + \
            (f"/projects/{num}" if proj else "")
        resource = {"name": rname, "displayName": disp, "type": rtype, "cloudProvider": "GOOGLE_CLOUD_PLATFORM",
                    "service": service, "location": rloc,
                    "gcpMetadata": {"project": f"{CRM}/projects/{num}" if proj else "", "projectDisplayName": pid,
                                    "parent": par, "parentDisplayName": par_disp, "folders": folders,
                                    "organization": f"organizations/{org}"},
                    "resourcePath": {"nodes": nodes}, "resourcePathString": path_str}
        gcp_in = r_in.pop("gcpMetadata", None)
        resource.update(r_in)
        if isinstance(gcp_in, dict):
            resource["gcpMetadata"].update(gcp_in)
        resource["name"] = rname

        # finding
        tail = f"sources/{sid}/locations/{location}/findings/{fid}"
        if name_kind is None or name_kind == "organizations":
            name = f"organizations/{org}/{tail}"
        else:
            name = f_in["name"]
        canonical = f"projects/{num}/{tail}" if proj else f"organizations/{org}/{tail}"
        event = f_in.get("eventTime")
        event_us = parse_ts(event) if event else now
        ctx = {"p": pid or "org", "num": num, "org": org, "fid": fid, "ts": fmt_ts(event_us), "n": disp}
        finding: dict[str, Any] = {
            "name": name, "canonicalName": canonical, "parent": name.rsplit("/findings/", 1)[0],
            "resourceName": rname, "state": "ACTIVE", "category": category,
            "externalUri": (spec.get("uri") or "").format(**ctx),
            "sourceProperties": {}, "securityMarks": {"name": name + "/securityMarks",
                                                      "canonicalName": canonical + "/securityMarks"},
            "eventTime": fmt_ts(event_us), "createTime": fmt_ts(min(now, event_us)),
            "severity": spec["sev"], "mute": "UNDEFINED", "findingClass": spec["cls"],
            "parentDisplayName": sname, "description": spec.get("desc", ""), "nextSteps": spec.get("next", ""),
            "compliances": spec.get("comp", []),
        }
        if spec.get("mitre"):
            finding["mitreAttack"] = spec["mitre"]
        if spec["source"] == SHA:
            finding["sourceProperties"] = {"Recommendation": spec.get("next", ""),
                                           "Explanation": spec.get("desc", ""),
                                           "ScannerName": spec.get("scanner", ""), "ReactivationCount": 0,
                                           "ResourcePath": [n["displayName"] for n in nodes],
                                           "ExceptionInstructions": "Add the security mark \"allow_"
                                                                    + category.lower() + "\" to the asset "
                                                                                         "with a value of \"true\"."}
        if "extra" in spec:
            finding.update(spec["extra"](ctx))
        marks_in = (f_in.pop("securityMarks", None) or {}).get("marks")
        finding.update({k: v for k, v in f_in.items() if k not in ("name", "canonicalName", "parent")})
        finding["resourceName"] = rname
        if marks_in:
            finding["securityMarks"]["marks"] = dict(marks_in)
        self._normalise(finding, now)
        rec = {"seq": self.seq, "org": org, "project": pid or None, "location": location, "source": sid,
               "fid": fid, "finding": prune(finding), "resource": prune(resource)}
        self.seq += 1
        self.records.append(rec)
        return self._export(rec)

    def _normalise(self, f: dict, now: int) -> None:
        for k in ("state", "severity", "mute", "findingClass"):
            if k in f and f[k] not in ("", None):
                f[k] = self._enum_value(k, f[k])
        for k in ("eventTime", "createTime", "muteUpdateTime"):
            if f.get(k):
                try:
                    f[k] = fmt_ts(parse_ts(f[k]))
                except ValueError as exc:
                    raise ApiError(400, f"{k}: {exc}") from None
        if f.get("mute") in ("MUTED", "UNMUTED") and not f.get("muteUpdateTime"):
            f["muteUpdateTime"] = fmt_ts(now)
            f.setdefault("muteInitiator", "seed@example.com")

    def _merge(self, rec: dict, f_in: dict, r_in: dict) -> dict:
        f = rec["finding"]
        marks_in = (f_in.pop("securityMarks", None) or {}).get("marks")
        for k, v in f_in.items():
            if k not in ("name", "canonicalName", "parent", "createTime", "resourceName"):
                f[k] = v
        if marks_in is not None:
            f.setdefault("securityMarks", {})["marks"] = dict(marks_in)
        self._normalise(f, now_us())
        gcp_in = r_in.pop("gcpMetadata", None)
        r_in.pop("name", None)
        rec["resource"].update(r_in)
        if isinstance(gcp_in, dict):
            rec["resource"].setdefault("gcpMetadata", {}).update(gcp_in)
        rec["finding"], rec["resource"] = prune(f), prune(rec["resource"])
        return self._export(rec)

    def c_seed_demo(self, req: Request) -> Response:
        org, folder = "123456789012", "456789012345"
        h = 3600 * 1_000_000
        now = now_us()
        with self.lock:
            self.orgs[org] = "acme.example"
            self._ensure_project("acme-web-prod", "314159265358", org, [{"id": folder, "displayName": "Production"}])
            self._ensure_project("acme-data-dev", "271828182845", org, [])
            web, data = {"organization": org, "project": "acme-web-prod"}, {"organization": org,
                                                                            "project": "acme-data-dev"}
            specs = [
                (web, {"category": "PUBLIC_BUCKET_ACL"}, {"name": "//storage.googleapis.com/acme-web-assets"}, 50),
                (web, {"category": "OPEN_FIREWALL"}, {}, 47),
                (web, {"category": "OPEN_SSH_PORT"}, {}, 30),
                (web, {"category": "PUBLIC_IP_ADDRESS"}, {}, 26),
                (web, {"category": "Persistence: IAM Anomalous Grant"}, {}, 5),
                (web, {"category": "Malware: Cryptomining Bad IP"}, {}, 2),
                (web, {"category": "OS_VULNERABILITY"}, {}, 12),
                (web, {"category": "Execution: Added Binary Executed"}, {}, 1),
                (web, {"category": "FLOW_LOGS_DISABLED", "state": "INACTIVE"}, {}, 20),
                (data, {"category": "SQL_PUBLIC_IP"}, {}, 40),
                (data, {"category": "SERVICE_ACCOUNT_KEY_NOT_ROTATED",
                        "securityMarks": {"marks": {"owner": "data-platform"}}}, {}, 33),
                (data, {"category": "Exfiltration: BigQuery Data Exfiltration", "severity": "CRITICAL"}, {}, 3),
                (data, {"category": "AUDIT_LOGGING_DISABLED", "mute": "MUTED",
                        "muteInitiator": "organizations/123456789012/muteConfigs/dev-logging-exception"}, {}, 70),
                ({"organization": org}, {"category": "MFA_NOT_ENFORCED"}, {}, 90),
            ]
            names = []
            for top, f, r, hours_ago in specs:
                f = dict(f, eventTime=fmt_ts(now - hours_ago * h))
                names.append(self._seed_one(dict(top, finding=f, resource=r))["finding"]["name"])
        return json_response(200, {"organization": f"organizations/{org}",
                                   "folders": [f"folders/{folder}"],
                                   "projects": ["projects/acme-web-prod", "projects/acme-data-dev"],
                                   "findings": len(names), "names": names})


if __name__ == "__main__":
    serve(GcpScc(), configure=lambda emu, args, port: emu.set_base(args.host, port))
