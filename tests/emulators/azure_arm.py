"""Local emulator of Microsoft Entra ID (token endpoints) + Azure Resource Manager for Microsoft
Defender for Cloud (test infrastructure for agent-hubble, not shipped).

    python tests/emulators/azure_arm.py --host 127.0.0.1 --port 0 [--exit-on-stdin-eof]
                                        [--seed demo] [--verbose]

prints ``READY <port>``. One server plays both hosts, so a client configured with
``authority_host = endpoint_url = http://127.0.0.1:PORT`` talks only to it. Built on
`emu_base` (faults, request log, reset: see that module).

Shapes and values come from the official specification, repository Azure/azure-rest-api-specs,
``specification/security/resource-manager/Microsoft.Security/stable/``:
``2022-01-01/alerts.json`` + ``examples/Alerts/*`` (alerts), ``2021-06-01/assessments.json``,
``2021-06-01/assessmentMetadata.json`` + ``examples/Assessments*/*`` (assessments),
``2020-01-01/secureScore.json`` + ``examples/secureScores/*`` (secure score). Behaviour the
spec does not cover (Entra ID, IMDS, ARM's front door: authentication, api-version,
subscription and throttling errors) follows Microsoft's documented/observed behaviour; every
such place is marked "[not in spec]" below.

Defaults (present after start and after every /_emu/reset)
---------------------------------------------------------
    tenant            f8cdef31-a31e-4b4a-93e4-5f571e91255a   (alias domain contoso.onmicrosoft.com)
    client_id         6731de76-14a6-49ae-97bc-6eba6914391e
    client_secret     hubble-emulator-secret
    federated cred.   issuer https://oidc.emulator.local, subject
                      system:serviceaccount:soc:agent-hubble, audience api://AzureADTokenExchange
    managed identity  client_id 2c0f5a4e-8e7b-4a1f-9a59-6f1c3b2d7e10 (system-assigned, enabled)
    App Service MSI   X-IDENTITY-HEADER value: hubble-identity-header
    subscription      20ff7fc3-e762-44dd-bd96-b71116dcdc23 "Contoso Production" (empty)
    page size         50        token lifetime  3599 s
With ``--seed demo`` (or after ``POST /_emu/azure/seed-demo``) a second subscription
0980887d-03d6-408c-9566-532f3456804e "Contoso Development" is added and both get believable
alerts and assessments; with --seed demo, /_emu/reset restores the demo data.

Entra ID (identity) endpoints  [not in spec: Microsoft identity platform documentation]
----------------------------------------------------------------------------------------
POST /{tenant}/oauth2/v2.0/token   (form-encoded; tenant = id or a registered domain)
    grant_type=client_credentials, client_id, scope=<resource>/.default and either
    client_secret (also accepted as HTTP Basic client_secret_basic) or
    client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer +
    client_assertion=<JWT>. The JWT signature is NOT verified (no keys are registered); it must
    be well formed, unexpired, and either a certificate assertion (iss == sub == client_id,
    aud = <authority>/{tenant}/oauth2/v2.0/token or https://login.microsoftonline.com/{tenant}/
    oauth2/v2.0/token or .../{tenant}/v2.0) or a federated (workload identity) assertion whose
    iss/sub match a federated credential of the app and whose aud contains its audience.
    Scopes accepted: https://management.azure.com/.default, https://management.core.windows.net/
    .default (either with a doubled slash), http://<this emulator>/.default (ARM audiences) and
    graph/vault/storage (non-ARM audiences, for negative tests).
    200 {"token_type":"Bearer","expires_in":N,"ext_expires_in":N,"access_token":"<JWT>"}
    Errors: {"error","error_description":"AADSTSnnn: …\\r\\nTrace ID: …\\r\\nCorrelation ID: …
    \\r\\nTimestamp: …","error_codes":[n],"timestamp","trace_id","correlation_id","error_uri"}:
      400 invalid_request   AADSTS90002 unknown tenant; AADSTS900144 missing parameter;
                            AADSTS50027 malformed assertion; AADSTS70021 no federated match;
                            AADSTS90014 missing/wrong client_assertion_type
      400 unsupported_grant_type AADSTS70003;  400 unauthorized_client AADSTS700016 unknown app
      400 invalid_scope     AADSTS1002012 (no /.default) / AADSTS70011 (several scopes)
      400 invalid_resource  AADSTS500011 unknown resource
      401 invalid_client    AADSTS7000215 wrong secret; AADSTS7000218 no credential;
                            AADSTS700024 assertion expired; AADSTS50013 certificate assertion
                            with a wrong audience
    (the AADSTS codes/messages follow Microsoft's published error-code list; the HTTP status and
    "error" value for the assertion errors are our best reading, not verified)
GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=…[&client_id=…]
    IMDS (VM managed identity); needs header "Metadata: true". 200 {"access_token","client_id",
    "expires_in","expires_on","ext_expires_in","not_before","resource","token_type"} (string
    values, as IMDS answers). 400 {"error":"invalid_request","error_description":"Required
    metadata header not specified"} / "Identity not found" / missing query variable;
    400 {"error":"invalid_resource",…AADSTS500011…}.
GET /msi/token?api-version=2019-08-01&resource=…   (App Service/Functions IDENTITY_ENDPOINT)
    needs header X-IDENTITY-HEADER; 200 {"access_token","expires_on","resource","token_type",
    "client_id"}; wrong/missing header 401 (shape not documented; ours: {"error","error_description"}).

Azure Resource Manager endpoints (all need "Authorization: Bearer <token from above>")
--------------------------------------------------------------------------------------
Front-door checks, in this order  [not in spec: ARM behaviour]
    401 {"error":{"code":"AuthenticationFailed"}}      header missing / not Bearer
    401 InvalidAuthenticationToken                      unknown token
    401 ExpiredAuthenticationToken                      lifetime over or /_emu/azure/expire-tokens
    401 InvalidAuthenticationTokenAudience              token for another resource
      (401s carry WWW-Authenticate: Bearer authorization_uri="<emulator>/<tenant>",
       error="invalid_token", error_description="…")
    400 MissingApiVersionParameter / InvalidApiVersionParameter (malformed value) /
        NoRegisteredProviderFound (well-formed but unsupported for the resource type)
    404 SubscriptionNotFound;  401 InvalidAuthenticationTokenTenant (token of another tenant);
    403 AuthorizationFailed (subscription marked forbidden)
    Success responses carry x-ms-request-id, x-ms-correlation-request-id (echoes the client's)
    and x-ms-ratelimit-remaining-subscription-reads|writes (counts down from 11999 per sub).
Alerts, api-version 2022-01-01 (alerts.json):
    GET  /subscriptions/{sub}/providers/Microsoft.Security/alerts
    GET  /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Security/alerts
    GET  /subscriptions/{sub}/providers/Microsoft.Security/locations/{loc}/alerts
    GET  /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Security/locations/{loc}/alerts
    GET  /subscriptions/{sub}[/resourceGroups/{rg}]/providers/Microsoft.Security/locations/{loc}/alerts/{name}
    POST /subscriptions/{sub}[/resourceGroups/{rg}]/providers/Microsoft.Security/locations/{loc}/alerts/{name}/{activate|dismiss|inProgress|resolve}
         -> 204 No Content, status becomes Active|Dismissed|InProgress|Resolved (the 2022-01-01
         schema has no last-modified field, so nothing else changes).
    Lists are newest timeGeneratedUtc first. Unknown alert -> 404 {"error":{"code":"NotFound"}}.
Assessments, api-version 2021-06-01 (assessments.json, assessmentMetadata.json):
    GET /{scope}/providers/Microsoft.Security/assessments[?$expand=links|metadata|links,metadata]
        scope = /subscriptions/{sub}[/resourceGroups/{rg}[/providers/…]]: assessments whose
        resource is at or under the scope. (The spec declares $expand on Get only; the
        emulator also honours it on List.)
    GET /{resourceId}/providers/Microsoft.Security/assessments/{name}[?$expand=…]
    GET /providers/Microsoft.Security/assessmentMetadata[/{name}]
    GET /subscriptions/{sub}/providers/Microsoft.Security/assessmentMetadata[/{name}]
Secure score, api-version 2020-01-01 (secureScore.json):
    GET /subscriptions/{sub}/providers/Microsoft.Security/secureScores            (ascScore only)
    GET /subscriptions/{sub}/providers/Microsoft.Security/secureScores/ascScore
    GET /subscriptions/{sub}/providers/Microsoft.Security/secureScores/ascScore/secureScoreControls[?$expand=definition]
    GET /subscriptions/{sub}/providers/Microsoft.Security/secureScoreControls[?$expand=definition]
    GET [/subscriptions/{sub}]/providers/Microsoft.Security/secureScoreControlDefinitions
    Computed from the stored assessments, per control (12 built-in controls from the spec
    examples, with their assessment keys): a resource having an assessment of the control is
    unhealthy if any is Unhealthy, else healthy if any is Healthy, else not applicable;
    max = control maxScore when healthy+unhealthy > 0 else 0 (as the DDoS control in the
    example); current = round(max * healthy / (healthy+unhealthy), 2);
    percentage = round(current / max, 4); weight = healthy + unhealthy (matches every control
    of the example). Subscription: max = sum of control maxes, current = round(sum of control
    currents, 2), percentage = round(current / max, 4) (the example's 23.53/39 = 0.6033);
    weight = distinct resources with a Healthy/Unhealthy scored assessment (the spec does not
    say how the weight is computed; this is a guess).
Subscriptions (not Defender; handy for discovery)  [not in spec]
    GET /subscriptions?api-version=2020-01-01 (or 2016-06-01, 2019-06-01, 2021-01-01, 2022-12-01)
        the token tenant's non-forbidden subscriptions;  GET /subscriptions/{sub}?api-version=…
Paging: every list answers at most page-size items and a "nextLink": an absolute URL on this
emulator (built from the request's Host header) with the request's other query parameters and
"$skipToken=<opaque>"; the last page has no nextLink. A bad $skipToken -> 400 InvalidSkipToken.
Throttling: arm it with POST /_emu/faults {"path": "…", "status": 429, "headers": {…}}; a 429
fault without headers gets "Retry-After: 1" and "x-ms-ratelimit-remaining-subscription-reads: 0"
and the ARM body {"error":{"code":"SubscriptionRequestsThrottled",…}}. Faults on the token
endpoints answer in Entra's shape, on IMDS in IMDS's shape.

Test-only control endpoints (no authentication), besides emu_base's /_emu/faults, /_emu/requests,
/_emu/reset
--------------------------------------------------------------------------------------------
POST /_emu/azure/principals {"tenant", "client_id", "client_secret"?, "object_id"?,
        "domains"?: [..], "federated"?: [{"issuer","subject","audience"?}]}   -> the principal
     (the tenant is created if new)
GET  /_emu/azure/principals                  -> {"principals": [...]}
POST /_emu/azure/managed-identity {"enabled"?, "client_id"?, "tenant"?, "user_assigned"?: [client ids],
        "identity_header"?}                  -> the managed-identity settings
POST /_emu/azure/token-lifetime {"seconds": N}   lifetime of tokens issued from now on
POST /_emu/azure/expire-tokens                   every token issued so far is expired now
GET  /_emu/azure/tokens                      -> {"tokens": [{"access_token","client_id","tenant",
        "audience","issued_at","expires_at","expired","via"}]}   (via: secret|assertion|imds|msi)
POST /_emu/azure/subscriptions {"id", "display_name"?, "forbidden"?: false, "tenant"?}
GET  /_emu/azure/subscriptions               -> {"subscriptions": [...]}
POST /_emu/azure/page-size {"size": N}
POST /_emu/azure/alerts {"subscription"?, "alert": {"name"?, "location"?: "westeurope",
        "resource_id"?, "resource_group"?, <any alert property, flat or under "properties">}}
     -> the full stored alert (ARM shape), realistic defaults filled in (a VM_EICAR test alert)
GET  /_emu/azure/alerts                      -> {"alerts": [full ARM alerts]}
POST /_emu/azure/alerts/{name}/status {"status": "Resolved"}   another client's change -> alert
POST /_emu/azure/assessments {"resource_id", "name" (assessment key), "status": "Healthy" |
        {"code","cause"?,"description"?}, "display_name"?, "additional_data"?,
        "metadata"?: {…partial metadata; required for keys not in the built-in catalogue},
        "control"?: "<secure score control id>" (scores a custom key)}
     -> the stored assessment as served with $expand=links,metadata
GET  /_emu/azure/assessments                 -> {"assessments": [...]} (expanded)
POST /_emu/azure/seed-demo                   -> {"subscriptions": [...], "alerts": N, "assessments": N}
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import json
import re
import secrets
import threading
import time
import urllib.parse
import uuid
from typing import Any, Callable

from emu_base import Emulator, Request, Response, json_response, serve

# ---- defaults -----------------------------------------------------------------------------------
DEFAULT_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
DEFAULT_DOMAIN = "contoso.onmicrosoft.com"
DEFAULT_CLIENT_ID = "6731de76-14a6-49ae-97bc-6eba6914391e"
DEFAULT_CLIENT_SECRET = "hubble-emulator-secret"
DEFAULT_OBJECT_ID = "5a9a2b1c-0f3e-4d6b-8c7a-9e1f2d3c4b5a"
DEFAULT_FEDERATED = {"issuer": "https://oidc.emulator.local",
                     "subject": "system:serviceaccount:soc:agent-hubble",
                     "audience": "api://AzureADTokenExchange"}
DEFAULT_MI_CLIENT_ID = "2c0f5a4e-8e7b-4a1f-9a59-6f1c3b2d7e10"
DEFAULT_MI_OBJECT_ID = "7d3e1f0a-6b2c-4e8d-a1f9-3c5b7d9e0f21"
DEFAULT_IDENTITY_HEADER = "hubble-identity-header"
DEFAULT_SUBSCRIPTION = "20ff7fc3-e762-44dd-bd96-b71116dcdc23"      # the spec examples' subscription
DEMO_SUBSCRIPTION_2 = "0980887d-03d6-408c-9566-532f3456804e"       # from the metadata example
DEFAULT_PAGE_SIZE = 50
DEFAULT_TOKEN_LIFETIME = 3599

ALERTS_VERSIONS = ("2022-01-01",)
ASSESSMENTS_VERSIONS = ("2021-06-01",)
SECURE_SCORE_VERSIONS = ("2020-01-01",)
SUBSCRIPTIONS_VERSIONS = ("2016-06-01", "2019-06-01", "2020-01-01", "2021-01-01", "2022-12-01")

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ARM_RESOURCES = ("https://management.azure.com", "https://management.core.windows.net")
OTHER_RESOURCES = ("https://graph.microsoft.com", "https://vault.azure.net", "https://storage.azure.com")

ALERT_STATUSES = ("Active", "InProgress", "Resolved", "Dismissed")
ALERT_SEVERITIES = ("Informational", "Low", "Medium", "High")
ALERT_ACTIONS = {"activate": "Active", "dismiss": "Dismissed", "inprogress": "InProgress", "resolve": "Resolved"}
ASSESSMENT_CODES = ("Healthy", "Unhealthy", "NotApplicable")

SUB = r"/subscriptions/(?P<sub>[^/]+)"
RG = r"/resourceGroups/(?P<rg>[^/]+)"
MS = r"/providers/Microsoft\.Security"

# ---- secure score controls (2020-01-01 examples/secureScores/ListSecureScoreControlsForNameWithExpand_builtin_example.json;
#      assessmentDefinitions abbreviated to the first keys of each list in the example) ---------------
CONTROLS: list[dict[str, Any]] = [
    {"id": "a9909064-42b4-4d34-8143-275477afe18b", "displayName": "Protect applications against DDoS attacks",
     "maxScore": 2, "keys": ["e3de1cc0-f4dd-3b34-e496-8b5381ba2d70", "08e628db-e2ed-4793-bc91-d13e684401c3",
                             "405c9ae6-49f9-46c4-8873-a86690f27818"]},
    {"id": "34a42fb3-e6db-409c-b56b-7b1db6b8aee0", "displayName": "Enable MFA", "maxScore": 10,
     "keys": ["94290b00-4d0c-d7b4-7cea-064a9554e681", "57e98606-6b1e-6193-0e3d-fe621387c16b",
              "1f24d55a-df0f-4772-9090-4629c2d6bfff", "8e3d9ac0-a248-4276-a437-304c6cd1443b",
              "8d7a6128-c8f2-43df-b422-7877346f9ddb", "4a946e22-47e8-443d-8761-b25620b4a1e1"]},
    {"id": "76763537-9feb-42d3-b4f4-78c01117be80", "displayName": "Implement security best practices",
     "maxScore": 0, "keys": ["151e82c5-5341-a74b-1eb0-bc38d2c84bb5", "a8c6a4ad-d51e-88fe-2979-d3ee3c864f8b",
                             "6f90a6d6-d4d6-0794-0ec1-98fa77878c2e", "a9341235-9389-42f0-a0bf-9bfb57960d44"]},
    {"id": "4db8d6cf-075b-4149-a813-da09ca2ae120", "displayName": "Enable Advanced Threat Protection",
     "maxScore": 0, "keys": ["56a6e81f-7413-4f72-9a1b-aaeeaa87c872", "0876ef51-fee7-449d-ba1e-f2662c7e43c6",
                             "58d72d9d-0310-4792-9a3b-6dd111093cdb", "6ac66a74-761f-4a59-928a-d373eea3f028",
                             "1be22853-8ed1-4005-9907-ddad64cb1417"]},
    {"id": "27b24961-75ba-4fe4-8909-97286d5dd5ee", "displayName": "Enable auditing and logging", "maxScore": 1,
     "keys": ["94208a8b-16e8-4e5b-abbd-4e81c9d02bee", "c6dad669-efd7-cd72-61c5-289935607791",
              "77785808-ce86-4e40-b45f-19110a547397", "32771b45-220c-1a8b-584e-fdd5a2584a66",
              "88bbc99c-e5af-ddd7-6105-6150b2bfa519"]},
    {"id": "2d85f639-0bea-4a4a-b6c6-608952a1414a", "displayName": "Manage access and permissions", "maxScore": 4,
     "keys": ["c3b6ae71-f1f0-31b4-e6c1-d5951285d03d", "04e7147b-0deb-9796-2e5c-0336343ceb3d",
              "e52064aa-6853-e252-a11e-dffc675689c2", "00c6d40b-e990-6acf-d4f3-471e747a27c4",
              "2c79b4af-f830-b61e-92b9-63dfa30f16e4"]},
    {"id": "99fc8df2-e0f5-40f8-9415-a7f7ca948b5a", "displayName": "Remediate security configurations",
     "maxScore": 4, "keys": ["181ac480-f7c4-544b-9865-11b8ffe87f47", "8c3d9ad0-3639-4686-9cd2-2b2ab2609bda",
                             "0677209d-e675-2c6f-e91a-54cef2878663", "c4131c22-1ecc-4beb-9961-d90108bd975f"]},
    {"id": "12136bd9-dc24-44f2-9587-7be3af6aac14", "displayName": "Enable endpoint protection", "maxScore": 2,
     "keys": ["83f577bd-a1b6-b7e1-0891-12ca19d1e6df", "4fb67663-9ab9-475d-b026-8c544cced439",
              "383cf3bc-fdf9-4a02-120a-3e7e36c6bfee", "3bcd234d-c9c7-c2a2-89e0-c01f419c1a8a",
              "37a3689a-818e-4a0e-82ac-b1392b9bb000", "21300918-b2e3-0346-785f-c77ff57d243b",
              "e71020c2-860c-3235-cd39-04f3f8c936d2"]},
    {"id": "61702b76-1fab-41f2-bcbc-50b7870dcf38", "displayName": "Apply system updates", "maxScore": 6,
     "keys": ["4ab6e3c5-74dd-8b35-9ab9-f61b30875b27", "f2805ebc-abc2-4aac-a8d6-35664c479971",
              "c0f5316d-5ac5-9218-b77a-b96e16ccfd66", "bd20bd91-aaf1-7f14-b6e4-866de2f43146",
              "8bc390da-9eb6-938d-25ed-44a35d9bcc9d", "22e18b64-4576-41e6-8972-0eb28c9af0c8"]},
    {"id": "0e55495e-034f-4abc-8293-767229250176", "displayName": "Encrypt data in transit", "maxScore": 4,
     "keys": ["1b351b29-41ca-6df5-946c-c190a56be5fe", "cb0acdc6-0846-fd48-debe-9905af151b6d",
              "bf82a334-13b6-ca57-ea75-096fc2ffce50", "35b25be2-d08a-e340-45ed-f08a95d804fc",
              "1c5de8e1-f68d-6a17-e0d2-ec259c42768c", "a3ebc80a-847b-46d5-a37d-8dca5e6947df",
              "c28a89d9-7cf4-439b-a8c4-ad4e769f68ee", "2acc27c6-5fdb-405e-9080-cb66b850c8f5"]},
    {"id": "f9d5432b-8f7b-45e9-b90c-e214a30f6a02", "displayName": "Restrict unauthorized network access",
     "maxScore": 4, "keys": ["483f12ed-ae23-447e-a2de-a67a10db4353", "3b20e985-f71f-483b-b078-f30d73936d43",
                             "f9f0eed0-f143-47bf-b856-671ea2eeed62", "1a2b5b4c-f80d-46e7-ac81-b51a9fb363de"]},
    {"id": "8fd574ec-43cf-426e-a439-a67cbaf2d564", "displayName": "Enable encryption at rest", "maxScore": 4,
     "keys": ["d57a4221-a804-52ca-3dea-768284f06bb7", "651967bf-044e-4bde-8376-3e08e0600105",
              "b12bc79e-4f12-44db-acda-571820191ddc", "7f04fc0c-4a3d-5c7e-ce19-666cb871b510",
              "c01fab9f-bde1-4ba5-9d35-7de51f31c2d3", "23b514bd-2afc-4a3e-8d3d-f4327118eee9"]},
]

# ---- built-in assessment metadata. Keys, and which control each belongs to, are from the spec
#      examples; displayName etc. of 21300918/bc303248 are the spec's, the others are the public
#      Defender catalogue's as far as we know them (the emulator does not depend on them). ----------
_M = "/providers/Microsoft.Authorization/policyDefinitions/"
METADATA: dict[str, dict[str, Any]] = {
    "21300918-b2e3-0346-785f-c77ff57d243b": {
        "displayName": "Install endpoint protection solution on virtual machine scale sets",
        "policyDefinitionId": _M + "26a828e1-e88f-464e-bbb3-c134a282b9de",
        "description": "Install an endpoint protection solution on your virtual machines scale sets, to protect them from threats and vulnerabilities.",
        "remediationDescription": "To install an endpoint protection solution: 1.  <a href=\"https://docs.microsoft.com/azure/virtual-machine-scale-sets/virtual-machine-scale-sets-faq#how-do-i-turn-on-antimalware-in-my-virtual-machine-scale-set\">Follow the instructions in How do I turn on antimalware in my virtual machine scale set</a>",
        "categories": ["Compute"], "severity": "Medium", "userImpact": "Low", "implementationEffort": "Low",
        "threats": ["dataExfiltration", "dataSpillage", "maliciousInsider"], "assessmentType": "BuiltIn"},
    "bc303248-3d14-44c2-96a0-55f5c326b5fe": {
        "displayName": "Close management ports on your virtual machines",
        "policyDefinitionId": _M + "22730e10-96f6-4aac-ad84-9383d35b5917",
        "description": "Open remote management ports expose your VM to a high level of risk from internet-based attacks that attempt to brute force credentials to gain admin access to the machine.",
        "remediationDescription": "We recommend that you edit the inbound rules of the below virtual machines to restrict access to specific source ranges.<br>To restrict the access to your virtual machines: 1. Click on a VM from the list below 2. At the 'Networking' blade, click on each of the rules that allow management ports (e.g. RDP-3389, WINRM-5985, SSH-22) 3. Change the 'Action' property to 'Deny' 4. Click 'Save'",
        "categories": ["Networking"], "severity": "Medium", "userImpact": "High", "implementationEffort": "Low",
        "threats": ["dataExfiltration", "dataSpillage", "maliciousInsider"], "preview": True,
        "assessmentType": "CustomPolicy"},
    "94290b00-4d0c-d7b4-7cea-064a9554e681": {
        "displayName": "MFA should be enabled on accounts with owner permissions on subscriptions",
        "policyDefinitionId": _M + "aa633080-8b72-40c4-a2d7-d00c03e80bed",
        "description": "Multi-Factor Authentication (MFA) should be enabled for all subscription accounts with owner permissions to prevent a breach of accounts or resources.",
        "remediationDescription": "To enable MFA using conditional access you must have an Azure AD Premium license and have AD tenant admin permissions. 1. Select your subscription, or the accounts that need MFA. 2. Click 'Take action' to open Azure AD Conditional Access and require MFA for these accounts.",
        "categories": ["IdentityAndAccess"], "severity": "High", "userImpact": "Moderate",
        "implementationEffort": "Moderate", "threats": ["accountBreach", "dataExfiltration", "maliciousInsider"],
        "assessmentType": "BuiltIn"},
    "57e98606-6b1e-6193-0e3d-fe621387c16b": {
        "displayName": "MFA should be enabled on accounts with write permissions on subscriptions",
        "policyDefinitionId": _M + "9297c21d-2ed6-4474-b48f-163f75654ce3",
        "description": "Multi-Factor Authentication (MFA) should be enabled for all subscription accounts with write privileges to prevent a breach of accounts or resources.",
        "remediationDescription": "To enable MFA using conditional access you must have an Azure AD Premium license and have AD tenant admin permissions. Select the accounts that need MFA and require it with a Conditional Access policy.",
        "categories": ["IdentityAndAccess"], "severity": "High", "userImpact": "Moderate",
        "implementationEffort": "Moderate", "threats": ["accountBreach", "dataExfiltration", "maliciousInsider"],
        "assessmentType": "BuiltIn"},
    "1c5de8e1-f68d-6a17-e0d2-ec259c42768c": {
        "displayName": "Secure transfer to storage accounts should be enabled",
        "policyDefinitionId": _M + "404c3081-a854-4457-ae30-26a93ef643f9",
        "description": "Secure transfer is an option that forces your storage account to accept requests only from secure connections (HTTPS). Use of HTTPS ensures authentication between the server and the service and protects data in transit from network layer attacks such as man-in-the-middle, eavesdropping, and session-hijacking.",
        "remediationDescription": "To enable secure transfer required: 1. In your storage account, go to the 'Configuration' page. 2. Enable 'Secure transfer required'.",
        "categories": ["Data"], "severity": "High", "userImpact": "Low", "implementationEffort": "Low",
        "threats": ["dataExfiltration", "dataSpillage"], "assessmentType": "BuiltIn"},
    "651967bf-044e-4bde-8376-3e08e0600105": {
        "displayName": "Transparent Data Encryption on SQL databases should be enabled",
        "description": "Enable transparent data encryption to protect data-at-rest and meet compliance requirements.",
        "remediationDescription": "To enable transparent data encryption on your SQL databases: 1. Select the SQL database. 2. Under 'Transparent data encryption', set 'Data encryption' to 'On'. 3. Click 'Save'.",
        "categories": ["Data"], "severity": "Low", "userImpact": "Low", "implementationEffort": "Low",
        "threats": ["dataExfiltration", "dataSpillage"], "assessmentType": "BuiltIn"},
    "4ab6e3c5-74dd-8b35-9ab9-f61b30875b27": {
        "displayName": "System updates should be installed on your machines",
        "description": "Install missing system security and critical updates to secure your Windows and Linux virtual machines and computers.",
        "remediationDescription": "Review the missing system updates and install them, e.g. with Azure Update Manager.",
        "categories": ["Compute"], "severity": "High", "userImpact": "Moderate", "implementationEffort": "Low",
        "threats": ["dataExfiltration", "elevationOfPrivilege", "threatResistance"], "assessmentType": "BuiltIn"},
    "483f12ed-ae23-447e-a2de-a67a10db4353": {
        "displayName": "Internet-facing virtual machines should be protected with network security groups",
        "description": "Protect your virtual machines from potential threats by restricting access to them with network security groups (NSG).",
        "remediationDescription": "Associate a network security group with the network interface or subnet of each listed virtual machine and allow only the traffic it needs.",
        "categories": ["Networking"], "severity": "High", "userImpact": "Moderate", "implementationEffort": "Low",
        "threats": ["dataExfiltration", "denialOfService", "threatResistance"], "assessmentType": "BuiltIn"},
    "94208a8b-16e8-4e5b-abbd-4e81c9d02bee": {
        "displayName": "Auditing on SQL server should be enabled",
        "description": "Enable auditing on your SQL Server to track database activities across all databases on the server and save them in an audit log.",
        "remediationDescription": "To enable auditing: 1. Select the SQL server. 2. Under 'Auditing', set 'Enable Azure SQL Auditing' to 'On' and choose a destination. 3. Click 'Save'.",
        "categories": ["Data"], "severity": "Low", "userImpact": "Low", "implementationEffort": "Low",
        "threats": ["threatResistance"], "assessmentType": "BuiltIn"},
    "56a6e81f-7413-4f72-9a1b-aaeeaa87c872": {
        "displayName": "Azure Defender for servers should be enabled",
        "description": "Azure Defender for servers provides real-time threat protection for server workloads and generates hardening recommendations as well as alerts about suspicious activities.",
        "remediationDescription": "To enable Azure Defender for servers: 1. Open the 'Environment settings' of the subscription. 2. Turn on the 'Servers' plan. 3. Click 'Save'.",
        "categories": ["Compute"], "severity": "High", "userImpact": "Low", "implementationEffort": "Low",
        "threats": ["missingCoverage"], "assessmentType": "BuiltIn"},
    "c3b6ae71-f1f0-31b4-e6c1-d5951285d03d": {
        "displayName": "External accounts with owner permissions should be removed from subscriptions",
        "description": "Accounts with owner permissions that have different domain names (external accounts), should be removed from your subscription to prevent unmonitored access.",
        "remediationDescription": "Go to 'Access control (IAM)' of the subscription and remove the listed external accounts' role assignments.",
        "categories": ["IdentityAndAccess"], "severity": "High", "userImpact": "Moderate",
        "implementationEffort": "Low", "threats": ["accountBreach"], "assessmentType": "BuiltIn"},
}
for _k, _m in METADATA.items():
    _m.setdefault("publishDates", {"GA": "06/01/2021", "public": "06/01/2021"})

# ---- helpers ------------------------------------------------------------------------------------


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso7(t: dt.datetime) -> str:
    """ISO 8601 with 7 fractional digits, as the spec examples ("2020-02-23T13:47:58.0000000Z")."""
    t = t.astimezone(dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{t.microsecond:06d}0Z"


def parse_time(s: str) -> dt.datetime:
    s = s.strip().replace("Z", "+00:00")
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)(\.\d+)?(.*)$", s)
    if m and m.group(2):  # .NET writes 7 fractional digits; keep 6 for Python
        s = m.group(1) + (m.group(2) + "000000")[:7] + m.group(3)
    t = dt.datetime.fromisoformat(s)
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def net_time(t: float) -> str:
    """.NET-style "M/D/YYYY h:mm:ss AM" as in ARM's ExpiredAuthenticationToken message."""
    d = dt.datetime.fromtimestamp(t, dt.timezone.utc)
    hour = d.hour % 12 or 12
    return f"{d.month}/{d.day}/{d.year} {hour}:{d.minute:02d}:{d.second:02d} {'AM' if d.hour < 12 else 'PM'}"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def reverse_ticks(t: dt.datetime) -> int:
    """Defender alert names start with DateTime.MaxValue.Ticks - startTime.Ticks."""
    ticks = int((t - dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc)).total_seconds()) * 10_000_000
    return 3155378975999999999 - ticks


def seg_lower(rid: str) -> str:
    return "/" + rid.strip("/").lower()


def under_scope(resource_id: str, scope: str) -> bool:
    r, s = seg_lower(resource_id), seg_lower(scope)
    return r == s or r.startswith(s + "/")


def resource_group_of(rid: str) -> str | None:
    m = re.match(r"(?i)^/subscriptions/[^/]+/resourceGroups/([^/]+)", rid)
    return m.group(1) if m else None


def subscription_of(rid: str) -> str | None:
    m = re.match(r"(?i)^/subscriptions/([^/]+)", rid)
    return m.group(1) if m else None


def num(x: float) -> float | int:
    """2 → 2, 2.5 → 2.5 (the examples write integral scores without a fraction)."""
    return int(x) if float(x).is_integer() else x


VERSION_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(-(preview|alpha|beta|privatepreview))?$")


class AzureArm(Emulator):
    name = "azure_arm"

    def __init__(self) -> None:
        self.startup_seed: str | None = None
        self.port: int | None = None
        self._local = threading.local()
        super().__init__()
        r = self.route
        # identity
        r("POST", r"(?i)/(?P<tenant>[^/]+)/oauth2/v2\.0/token", self._token)
        r("GET", r"(?i)/metadata/identity/oauth2/token", self._imds)
        r("GET", r"(?i)/msi/token/?", self._app_service_msi)
        # ARM: subscriptions
        r("GET", r"(?i)/subscriptions/?", self._arm(SUBSCRIPTIONS_VERSIONS, "Microsoft.Resources/subscriptions",
                                                     self._list_subscriptions, needs_sub=False))
        r("GET", r"(?i)" + SUB + "/?", self._arm(SUBSCRIPTIONS_VERSIONS, "Microsoft.Resources/subscriptions",
                                                 self._get_subscription))
        # ARM: alerts
        alerts = "Microsoft.Security/alerts"
        r("GET", r"(?i)" + SUB + f"(?:{RG})?" + MS + r"(?:/locations/(?P<loc>[^/]+))?/alerts",
          self._arm(ALERTS_VERSIONS, alerts, self._list_alerts))
        r("GET", r"(?i)" + SUB + f"(?:{RG})?" + MS + r"/locations/(?P<loc>[^/]+)/alerts/(?P<name>[^/]+)",
          self._arm(ALERTS_VERSIONS, alerts, self._get_alert))
        r("POST", r"(?i)" + SUB + f"(?:{RG})?" + MS +
          r"/locations/(?P<loc>[^/]+)/alerts/(?P<name>[^/]+)/(?P<action>activate|dismiss|inProgress|resolve)",
          self._arm(ALERTS_VERSIONS, alerts, self._alert_action, write=True))
        # ARM: secure score
        score = "Microsoft.Security/secureScores"
        r("GET", r"(?i)" + SUB + MS + r"/secureScores", self._arm(SECURE_SCORE_VERSIONS, score, self._list_scores))
        r("GET", r"(?i)" + SUB + MS + r"/secureScores/(?P<score>[^/]+)",
          self._arm(SECURE_SCORE_VERSIONS, score, self._get_score))
        r("GET", r"(?i)" + SUB + MS + r"(?:/secureScores/(?P<score>[^/]+))?/secureScoreControls",
          self._arm(SECURE_SCORE_VERSIONS, "Microsoft.Security/secureScoreControls", self._list_controls))
        r("GET", r"(?i)(?:" + SUB + ")?" + MS + r"/secureScoreControlDefinitions",
          self._arm(SECURE_SCORE_VERSIONS, "Microsoft.Security/secureScoreControlDefinitions",
                    self._list_control_definitions, needs_sub=False))
        # ARM: assessment metadata, assessments (the generic {scope} pattern last)
        meta = "Microsoft.Security/assessmentMetadata"
        r("GET", r"(?i)(?:" + SUB + ")?" + MS + r"/assessmentMetadata(?:/(?P<name>[^/]+))?",
          self._arm(ASSESSMENTS_VERSIONS, meta, self._metadata, needs_sub=False))
        r("GET", r"(?i)(?P<scope>" + SUB + r"(?:/.+?)?)" + MS + r"/assessments(?:/(?P<name>[^/]+))?",
          self._arm(ASSESSMENTS_VERSIONS, "Microsoft.Security/assessments", self._assessments))
        # control endpoints
        r("POST", r"/_emu/azure/principals", self._ctl_add_principal)
        r("GET", r"/_emu/azure/principals", lambda q: json_response(200, {"principals": list(self.principals.values())}))
        r("POST", r"/_emu/azure/managed-identity", self._ctl_managed_identity)
        r("POST", r"/_emu/azure/token-lifetime", self._ctl_token_lifetime)
        r("POST", r"/_emu/azure/expire-tokens", self._ctl_expire_tokens)
        r("GET", r"/_emu/azure/tokens", self._ctl_tokens)
        r("POST", r"/_emu/azure/subscriptions", self._ctl_add_subscription)
        r("GET", r"/_emu/azure/subscriptions",
          lambda q: json_response(200, {"subscriptions": list(self.subscriptions.values())}))
        r("POST", r"/_emu/azure/page-size", self._ctl_page_size)
        r("POST", r"/_emu/azure/alerts", self._ctl_add_alert)
        r("GET", r"/_emu/azure/alerts", lambda q: json_response(200, {"alerts": self._sorted_alerts(None)}))
        r("POST", r"/_emu/azure/alerts/(?P<name>[^/]+)/status", self._ctl_alert_status)
        r("POST", r"/_emu/azure/assessments", self._ctl_add_assessment)
        r("GET", r"/_emu/azure/assessments", lambda q: json_response(200, {"assessments": [
            self._render_assessment(a, True, True) for a in self.assessments.values()]}))
        r("POST", r"/_emu/azure/seed-demo", lambda q: json_response(200, self.seed_demo()))

    # ---- state ------------------------------------------------------------------------------
    def reset(self) -> None:
        self.tenants: dict[str, dict[str, Any]] = {}
        self.principals: dict[tuple[str, str], dict[str, Any]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.token_lifetime = DEFAULT_TOKEN_LIFETIME
        self.subscriptions: dict[str, dict[str, Any]] = {}
        self.alerts: dict[str, dict[str, Any]] = {}           # name (lower) -> ARM alert
        self.assessments: dict[tuple[str, str], dict[str, Any]] = {}  # (resource lower, key lower)
        self.metadata: dict[str, dict[str, Any]] = copy.deepcopy(METADATA)
        self.custom_control_keys: dict[str, str] = {}          # key -> control id
        self.page_size = DEFAULT_PAGE_SIZE
        self.rate_counters: dict[tuple[str, str], int] = {}
        self.managed_identity = {"enabled": True, "client_id": DEFAULT_MI_CLIENT_ID,
                                 "object_id": DEFAULT_MI_OBJECT_ID, "tenant": DEFAULT_TENANT,
                                 "user_assigned": [], "identity_header": DEFAULT_IDENTITY_HEADER}
        self._add_principal({"tenant": DEFAULT_TENANT, "client_id": DEFAULT_CLIENT_ID,
                             "client_secret": DEFAULT_CLIENT_SECRET, "object_id": DEFAULT_OBJECT_ID,
                             "domains": [DEFAULT_DOMAIN], "federated": [DEFAULT_FEDERATED]})
        self._add_subscription({"id": DEFAULT_SUBSCRIPTION, "display_name": "Contoso Production"})
        if self.startup_seed == "demo":
            self.seed_demo()

    # ---- request context / error shapes ------------------------------------------------------
    def handle(self, req: Request) -> Response:
        self._local.req = req
        try:
            return super().handle(req)
        finally:
            self._local.req = None

    def _kind(self, path: str) -> str:
        p = path.lower()
        if re.fullmatch(r"/[^/]+/oauth2/v2\.0/token", p):
            return "aad"
        if p.startswith("/metadata/identity") or p.startswith("/msi/"):
            return "imds"
        return "arm"

    def error_body(self, status: int, message: str) -> Any:
        req = getattr(self._local, "req", None)
        kind = self._kind(req.path) if req is not None else "arm"
        if kind == "aad":
            if status == 429:
                return self._aad_body("temporarily_unavailable", 90033, message, req)
            return self._aad_body("server_error" if status >= 500 else "invalid_request",
                                  50000 if status >= 500 else 90033, message, req)
        if kind == "imds":
            return {"error": "temporarily_unavailable" if status == 429 else "invalid_request",
                    "error_description": message}
        codes = {400: "BadRequest", 401: "AuthenticationFailed", 403: "AuthorizationFailed", 404: "NotFound",
                 405: "MethodNotAllowed", 409: "Conflict", 429: "SubscriptionRequestsThrottled",
                 500: "InternalServerError", 502: "BadGateway", 503: "ServiceUnavailable", 504: "GatewayTimeout"}
        return {"error": {"code": codes.get(status, str(status)), "message": message}}

    def _fault_response(self, fault: dict[str, Any]) -> Response:
        resp = super()._fault_response(fault)
        if fault["status"] == 429:
            names = {k.lower() for k in resp.headers}
            if "retry-after" not in names:
                resp.headers["Retry-After"] = "1"
            req = getattr(self._local, "req", None)
            if req is not None and self._kind(req.path) == "arm" and \
                    "x-ms-ratelimit-remaining-subscription-reads" not in names:
                resp.headers["x-ms-ratelimit-remaining-subscription-reads"] = "0"
        return resp

    def _aad_body(self, error: str, code: int, description: str, req: Request | None) -> dict[str, Any]:
        trace = str(uuid.uuid4())
        corr = (req.headers.get("client-request-id") if req else None) or str(uuid.uuid4())
        ts = now_utc().strftime("%Y-%m-%d %H:%M:%SZ")
        return {"error": error,
                "error_description": f"AADSTS{code}: {description}\r\nTrace ID: {trace}\r\n"
                                     f"Correlation ID: {corr}\r\nTimestamp: {ts}",
                "error_codes": [code], "timestamp": ts, "trace_id": trace, "correlation_id": corr,
                "error_uri": f"https://login.microsoftonline.com/error?code={code}"}

    def _aad_error(self, req: Request, status: int, error: str, code: int, description: str) -> Response:
        return json_response(status, self._aad_body(error, code, description, req))

    def _base_url(self, req: Request) -> str:
        host = req.headers.get("host") or f"127.0.0.1:{self.port}"
        return f"http://{host}"

    # ---- identity: tenants, principals, tokens -------------------------------------------------
    def _add_principal(self, spec: dict[str, Any]) -> dict[str, Any]:
        tenant, client_id = spec.get("tenant"), spec.get("client_id")
        if not isinstance(tenant, str) or not isinstance(client_id, str) or not tenant or not client_id:
            raise ValueError("'tenant' and 'client_id' are required strings")
        t = self.tenants.setdefault(tenant.lower(), {"id": tenant, "domains": []})
        for d in spec.get("domains") or []:
            if d.lower() not in t["domains"]:
                t["domains"].append(d.lower())
        fed = []
        for f in spec.get("federated") or []:
            if not f.get("issuer") or not f.get("subject"):
                raise ValueError("federated credentials need 'issuer' and 'subject'")
            fed.append({"issuer": f["issuer"], "subject": f["subject"],
                        "audience": f.get("audience") or "api://AzureADTokenExchange"})
        p = {"tenant": t["id"], "client_id": client_id, "client_secret": spec.get("client_secret"),
             "object_id": spec.get("object_id") or str(uuid.uuid5(uuid.NAMESPACE_URL, tenant + client_id)),
             "federated": fed}
        self.principals[(tenant.lower(), client_id.lower())] = p
        return p

    def _resolve_tenant(self, key: str) -> dict[str, Any] | None:
        k = key.lower()
        if k in self.tenants:
            return self.tenants[k]
        return next((t for t in self.tenants.values() if k in t["domains"]), None)

    def _resource_for_scope(self, req: Request, scope: str) -> tuple[str | None, bool]:
        """(audience, is_arm) for a v2 scope or v1 resource; audience None if unknown."""
        s = scope.strip()
        if s.endswith("/.default"):
            s = s[: -len("/.default")]
        base = s.rstrip("/")
        if base.lower() in ARM_RESOURCES:
            return base, True
        if base.lower() in OTHER_RESOURCES:
            return base, False
        u = urllib.parse.urlsplit(base)
        own = urllib.parse.urlsplit(self._base_url(req))
        if u.scheme == "http" and u.path in ("", "/") and (
                u.netloc.lower() == own.netloc.lower() or
                (u.hostname in ("127.0.0.1", "localhost") and u.port == self.port)):
            return base, True
        return None, False

    def _issue(self, req: Request, tenant: str, client_id: str, object_id: str, audience: str,
               via: str) -> dict[str, Any]:
        now = int(time.time())
        exp = now + self.token_lifetime
        claims = {"aud": audience, "iss": f"https://sts.windows.net/{tenant}/", "iat": now, "nbf": now,
                  "exp": exp, "aio": secrets.token_urlsafe(24), "appid": client_id, "appidacr": "1" if via == "secret" else "2",
                  "idp": f"https://sts.windows.net/{tenant}/", "idtyp": "app", "oid": object_id,
                  "rh": "0.emulator.", "sub": object_id, "tid": tenant, "uti": secrets.token_urlsafe(16),
                  "ver": "1.0"}
        header = {"typ": "JWT", "alg": "RS256", "x5t": "emulator", "kid": "emulator"}
        token = ".".join([b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()),
                          b64url(secrets.token_bytes(64))])
        info = {"access_token": token, "client_id": client_id, "object_id": object_id, "tenant": tenant,
                "audience": audience, "issued_at": now, "expires_at": exp, "revoked_at": None, "via": via}
        with self.lock:
            self.tokens[token] = info
        return info

    def _token(self, req: Request) -> Response:
        tenant_key = req.match["tenant"]
        if not req.headers.get("content-type", "").lower().startswith("application/x-www-form-urlencoded"):
            return self._aad_error(req, 400, "invalid_request", 900144,
                                   "The request body must contain the following parameter: 'grant_type'.")
        form = req.form()
        with self.lock:
            tenant = self._resolve_tenant(tenant_key)
        if tenant is None:
            return self._aad_error(req, 400, "invalid_request", 90002,
                                   f"Tenant '{tenant_key}' not found. Check to make sure you have the correct "
                                   "tenant ID and are signing into the correct cloud. Check with your subscription "
                                   "administrator, this may happen if there are no active subscriptions for the tenant.")
        for field in ("grant_type", "client_id", "scope"):
            if not form.get(field):
                return self._aad_error(req, 400, "invalid_request", 900144,
                                       f"The request body must contain the following parameter: '{field}'.")
        if form["grant_type"] != "client_credentials":
            return self._aad_error(req, 400, "unsupported_grant_type", 70003,
                                   f"The app requested an unsupported grant type '{form['grant_type']}'.")
        client_id = form["client_id"]
        with self.lock:
            principal = self.principals.get((tenant["id"].lower(), client_id.lower()))
        if principal is None:
            return self._aad_error(req, 400, "unauthorized_client", 700016,
                                   f"Application with identifier '{client_id}' was not found in the directory "
                                   f"'{tenant['id']}'. This can happen if the application has not been installed by "
                                   "the administrator of the tenant or consented to by any user in the tenant. You "
                                   "may have sent your authentication request to the wrong tenant.")
        # credential
        secret = form.get("client_secret")
        auth = req.headers.get("authorization", "")
        if secret is None and auth.lower().startswith("basic "):
            try:
                user, _, pw = base64.b64decode(auth[6:].strip()).decode().partition(":")
                if urllib.parse.unquote_plus(user) == client_id:
                    secret = urllib.parse.unquote_plus(pw)
            except ValueError:
                pass
        if form.get("client_assertion"):
            if form.get("client_assertion_type") != JWT_BEARER:
                return self._aad_error(req, 400, "invalid_request", 90014,
                                       "The required field 'client_assertion_type' is missing from the credential. "
                                       "Ensure that you have all the necessary parameters for the login request.")
            err = self._check_assertion(req, form["client_assertion"], principal, tenant_key)
            if err is not None:
                return err
            via = "assertion"
        elif secret is not None:
            if principal["client_secret"] is None or not secrets.compare_digest(secret, principal["client_secret"]):
                return self._aad_error(req, 401, "invalid_client", 7000215,
                                       "Invalid client secret provided. Ensure the secret being sent in the request "
                                       "is the client secret value, not the client secret ID, for a secret added to "
                                       f"app '{client_id}'.")
            via = "secret"
        else:
            return self._aad_error(req, 401, "invalid_client", 7000218,
                                   "The request body must contain the following parameter: 'client_assertion' or "
                                   "'client_secret'.")
        scopes = form["scope"].split()
        if len(scopes) != 1:
            return self._aad_error(req, 400, "invalid_scope", 70011,
                                   f"The provided request must include a 'scope' input parameter. The provided value "
                                   f"for the input parameter 'scope' is not valid. The scope {form['scope']} is not valid.")
        if not scopes[0].endswith("/.default"):
            return self._aad_error(req, 400, "invalid_scope", 1002012,
                                   f"The provided value for scope {scopes[0]} is not valid. Client credential flows "
                                   "must have a scope value with /.default suffixed to the resource identifier "
                                   "(application ID URI).")
        audience, _ = self._resource_for_scope(req, scopes[0])
        if audience is None:
            resource = scopes[0][: -len("/.default")]
            return self._aad_error(req, 400, "invalid_resource", 500011,
                                   f"The resource principal named {resource} was not found in the tenant named "
                                   f"{tenant['id']}. This can happen if the application has not been installed by the "
                                   "administrator of the tenant or consented to by any user in the tenant. You might "
                                   "have sent your authentication request to the wrong tenant.")
        info = self._issue(req, principal["tenant"], principal["client_id"], principal["object_id"], audience, via)
        life = info["expires_at"] - info["issued_at"]
        return json_response(200, {"token_type": "Bearer", "expires_in": life, "ext_expires_in": life,
                                   "access_token": info["access_token"]},
                             {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"})

    def _check_assertion(self, req: Request, assertion: str, principal: dict[str, Any],
                         tenant_key: str) -> Response | None:
        """Signature NOT verified (the emulator holds no keys); claims checked as Microsoft documents:
        certificate credentials (iss = sub = client_id, aud = the tenant's v2 token endpoint) or a
        federated identity credential (iss/sub match, aud contains the credential's audience)."""
        parts = assertion.split(".")
        try:
            if len(parts) != 3:
                raise ValueError("not three parts")
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            if not isinstance(header, dict) or not isinstance(claims, dict) or "alg" not in header:
                raise ValueError("not a JWT")
        except (ValueError, UnicodeDecodeError):
            return self._aad_error(req, 400, "invalid_request", 50027,
                                   "JWT token is invalid or malformed.")
        now = time.time()
        exp = claims.get("exp")
        if not isinstance(exp, (int, float)) or exp <= now or claims.get("nbf", 0) > now + 300:
            return self._aad_error(req, 401, "invalid_client", 700024,
                                   "Client assertion is not within its valid time range.")
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        iss, sub, cid = claims.get("iss"), claims.get("sub"), principal["client_id"]
        if iss == cid and sub == cid:  # certificate credential
            t = principal["tenant"]
            ok = set()
            for tk in {t, tenant_key}:
                ok |= {f"https://login.microsoftonline.com/{tk}/oauth2/v2.0/token",
                       f"https://login.microsoftonline.com/{tk}/v2.0",
                       f"{self._base_url(req)}/{tk}/oauth2/v2.0/token"}
            if not any(isinstance(a, str) and a.rstrip("/") in {o.rstrip("/") for o in ok} for a in auds):
                return self._aad_error(req, 401, "invalid_client", 50013,
                                       f"Assertion failed signature validation or audience '{aud}' is invalid. "
                                       "The audience must be the token endpoint of the tenant.")
            return None
        for f in principal["federated"]:
            if f["issuer"] == iss and f["subject"] == sub and f["audience"] in auds:
                return None
        return self._aad_error(req, 400, "invalid_request", 70021,
                               f"No matching federated identity record found for presented assertion. Assertion "
                               f"Issuer: '{iss}'. Assertion Subject: '{sub}'. Assertion Audience: '{aud}'.")

    def _managed_token(self, req: Request, resource: str | None, client_id: str | None, via: str,
                       api_ok: bool) -> tuple[Response | None, dict[str, Any] | None]:
        err = lambda status, error, desc: (json_response(status, {"error": error, "error_description": desc}), None)
        if not api_ok:
            return err(400, "invalid_request", "Required query variable 'api-version' is missing or invalid")
        if not resource:
            return err(400, "invalid_request", "Required query variable 'resource' is missing")
        mi = self.managed_identity
        if not mi["enabled"]:
            return err(400, "invalid_request", "Identity not found")
        if client_id and client_id.lower() not in [mi["client_id"].lower()] + [c.lower() for c in mi["user_assigned"]]:
            return err(400, "invalid_request", "Identity not found")
        audience, _ = self._resource_for_scope(req, resource)
        if audience is None:
            return err(400, "invalid_resource",
                       f"AADSTS500011: The resource principal named {resource} was not found in the tenant named "
                       f"{mi['tenant']}.")
        cid = client_id or mi["client_id"]
        oid = mi["object_id"] if cid.lower() == mi["client_id"].lower() else str(uuid.uuid5(uuid.NAMESPACE_URL, cid))
        return None, self._issue(req, mi["tenant"], cid, oid, audience, via)

    def _imds(self, req: Request) -> Response:
        # [not in spec] Azure IMDS managed-identity endpoint, as documented ("How to use managed
        # identities for Azure resources on a VM to acquire an access token").
        if req.headers.get("metadata", "").lower() != "true":
            return json_response(400, {"error": "invalid_request",
                                       "error_description": "Required metadata header not specified"})
        v = req.q("api-version") or ""
        err, info = self._managed_token(req, req.q("resource"), req.q("client_id"), "imds",
                                        bool(VERSION_RE.match(v)) and v >= "2018-02-01")
        if err is not None:
            return err
        life = info["expires_at"] - info["issued_at"]
        return json_response(200, {"access_token": info["access_token"], "client_id": info["client_id"],
                                   "expires_in": str(life), "expires_on": str(info["expires_at"]),
                                   "ext_expires_in": str(life), "not_before": str(info["issued_at"]),
                                   "resource": req.q("resource"), "token_type": "Bearer"})

    def _app_service_msi(self, req: Request) -> Response:
        # [not in spec] App Service / Functions IDENTITY_ENDPOINT protocol (api-version 2019-08-01).
        if req.headers.get("x-identity-header") != self.managed_identity["identity_header"]:
            return json_response(401, {"error": "invalid_request",
                                       "error_description": "X-IDENTITY-HEADER is missing or wrong"})
        err, info = self._managed_token(req, req.q("resource"), req.q("client_id"), "msi",
                                        req.q("api-version") == "2019-08-01")
        if err is not None:
            return err
        return json_response(200, {"access_token": info["access_token"], "expires_on": str(info["expires_at"]),
                                   "resource": req.q("resource"), "token_type": "Bearer",
                                   "client_id": info["client_id"]})

    # ---- ARM front door ---------------------------------------------------------------------
    def _arm_error(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
        return json_response(status, {"error": {"code": code, "message": message}}, headers)

    def _arm_401(self, req: Request, code: str, message: str, description: str, tenant: str | None) -> Response:
        authz = f"{self._base_url(req)}/{tenant or DEFAULT_TENANT}"
        return self._arm_error(401, code, message, {
            "WWW-Authenticate": f'Bearer authorization_uri="{authz}", error="invalid_token", '
                                f'error_description="{description}"'})

    def _authenticate(self, req: Request) -> tuple[dict[str, Any] | None, Response | None]:
        # [not in spec] ARM's documented/observed authentication failures.
        header = req.headers.get("authorization")
        if not header:
            return None, self._arm_401(req, "AuthenticationFailed",
                                       "Authentication failed. The 'Authorization' header is missing.",
                                       "The authentication failed because of missing 'Authorization' header.", None)
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, self._arm_401(req, "AuthenticationFailed",
                                       "Authentication failed. The 'Authorization' header is provided in an invalid format.",
                                       "The authentication failed because of invalid 'Authorization' header.", None)
        with self.lock:
            info = self.tokens.get(token.strip())
        if info is None:
            return None, self._arm_401(req, "InvalidAuthenticationToken", "The access token is invalid.",
                                       "The access token is invalid.", None)
        now = time.time()
        expired_at = info["revoked_at"] if info["revoked_at"] is not None else info["expires_at"]
        if now >= expired_at:
            return None, self._arm_401(req, "ExpiredAuthenticationToken",
                                       f"The access token expiry UTC time '{net_time(expired_at)}' is earlier than "
                                       f"current UTC time '{net_time(now)}'.",
                                       "The access token has expired.", info["tenant"])
        if not self._resource_for_scope(req, info["audience"])[1]:
            return None, self._arm_401(req, "InvalidAuthenticationTokenAudience",
                                       f"The access token has been obtained for wrong audience or resource "
                                       f"'{info['audience']}'. It should exactly match with one of the allowed "
                                       "audiences 'https://management.core.windows.net/','https://management.core."
                                       "windows.net','https://management.azure.com/','https://management.azure.com'.",
                                       "The access token has been obtained for wrong audience or resource.",
                                       info["tenant"])
        return info, None

    def _arm(self, versions: tuple[str, ...], rtype: str, inner: Callable[[Request, dict[str, Any]], Response],
             needs_sub: bool = True, write: bool = False) -> Callable[[Request], Response]:
        def handler(req: Request) -> Response:
            info, err = self._authenticate(req)
            if err is not None:
                return err
            v = req.q("api-version")
            if not v:
                return self._arm_error(400, "MissingApiVersionParameter",
                                       "The api-version query parameter (?api-version=) is required for all requests.")
            if not VERSION_RE.match(v):
                return self._arm_error(400, "InvalidApiVersionParameter",
                                       f"The api-version '{v}' is invalid. The supported versions are "
                                       f"'{','.join(versions)}'.")
            if v not in versions:
                loc = (req.match.groupdict().get("loc") or "").lower()
                return self._arm_error(400, "NoRegisteredProviderFound",
                                       f"No registered resource provider found for location '{loc}' and API version "
                                       f"'{v}' for type '{rtype.split('/', 1)[1]}'. The supported api-versions are "
                                       f"'{', '.join(versions)}'. The supported locations are ''.")
            sub_id = req.match.groupdict().get("sub")
            rl_key = None
            if sub_id is not None:
                with self.lock:
                    sub = self.subscriptions.get(sub_id.lower())
                if sub is None:
                    return self._arm_error(404, "SubscriptionNotFound", f"The subscription '{sub_id}' could not be found.")
                if sub["tenant"].lower() != info["tenant"].lower():
                    return self._arm_401(req, "InvalidAuthenticationTokenTenant",
                                         f"The access token is from the wrong issuer 'https://sts.windows.net/"
                                         f"{info['tenant']}/'. It must match the tenant 'https://sts.windows.net/"
                                         f"{sub['tenant']}/' associated with this subscription. Please use the "
                                         f"authority (URL) '{self._base_url(req)}/{sub['tenant']}' to get the token. "
                                         "Note, if the subscription is transferred to another tenant there is no "
                                         "impact to the services, but information about new tenant could take time "
                                         "to propagate (up to an hour). If you just transferred your subscription "
                                         "and see this error message, please try back later.",
                                         "The access token is from the wrong issuer.", sub["tenant"])
                if sub["forbidden"]:
                    action = f"{rtype}/{'action' if write else 'read'}"
                    return self._arm_error(403, "AuthorizationFailed",
                                           f"The client '{info['client_id']}' with object id '{info['object_id']}' "
                                           f"does not have authorization to perform action '{action}' over scope "
                                           f"'/subscriptions/{sub['subscriptionId']}' or the scope is invalid. If "
                                           "access was recently granted, please refresh your credentials.")
                rl_key = (sub["subscriptionId"].lower(), "writes" if write else "reads")
            resp = inner(req, info)
            corr = req.headers.get("x-ms-correlation-request-id") or str(uuid.uuid4())
            resp.headers.setdefault("x-ms-request-id", str(uuid.uuid4()))
            resp.headers.setdefault("x-ms-correlation-request-id", corr)
            if rl_key is not None:
                with self.lock:
                    left = self.rate_counters.get(rl_key, 12000) - 1
                    self.rate_counters[rl_key] = max(left, 0)
                resp.headers[f"x-ms-ratelimit-remaining-subscription-{rl_key[1]}"] = str(max(left, 0))
            return resp
        return handler

    def _page(self, req: Request, items: list[Any]) -> Response:
        token = req.q("$skipToken") or req.q("$skiptoken")
        offset = 0
        if token:
            try:
                offset = int(json.loads(b64url_decode(token))["o"])
                if offset < 0:
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                return self._arm_error(400, "InvalidSkipToken", f"The skip token '{token}' is invalid.")
        size = self.page_size
        body: dict[str, Any] = {"value": items[offset: offset + size]}
        if offset + size < len(items):
            q = [(k, v) for k, vs in req.query.items() if k.lower() != "$skiptoken" for v in vs]
            q.append(("$skipToken", b64url(json.dumps({"o": offset + size}).encode())))
            body["nextLink"] = (self._base_url(req) + urllib.parse.quote(req.path, safe="/:@")
                                + "?" + urllib.parse.urlencode(q, safe="$,:/"))
        return json_response(200, body)

    # ---- subscriptions ----------------------------------------------------------------------
    def _add_subscription(self, spec: dict[str, Any]) -> dict[str, Any]:
        sid = spec.get("id")
        if not isinstance(sid, str) or not sid:
            raise ValueError("'id' is required")
        tenant = spec.get("tenant") or DEFAULT_TENANT
        if tenant.lower() not in self.tenants:
            self.tenants[tenant.lower()] = {"id": tenant, "domains": []}
        s = {"id": f"/subscriptions/{sid}", "authorizationSource": "RoleBased", "managedByTenants": [],
             "subscriptionId": sid, "tenantId": self.tenants[tenant.lower()]["id"],
             "displayName": spec.get("display_name") or f"Subscription {sid[:8]}", "state": "Enabled",
             "subscriptionPolicies": {"locationPlacementId": "Public_2014-09-01", "quotaId": "PayAsYouGo_2014-09-01",
                                      "spendingLimit": "Off"},
             "forbidden": bool(spec.get("forbidden", False)), "tenant": self.tenants[tenant.lower()]["id"]}
        self.subscriptions[sid.lower()] = s
        return s

    @staticmethod
    def _public_sub(s: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in s.items() if k not in ("forbidden", "tenant")}

    def _list_subscriptions(self, req: Request, info: dict[str, Any]) -> Response:
        with self.lock:
            subs = [self._public_sub(s) for s in self.subscriptions.values()
                    if s["tenant"].lower() == info["tenant"].lower() and not s["forbidden"]]
        resp = self._page(req, subs)
        resp.body["count"] = {"type": "Total", "value": len(subs)}
        return resp

    def _get_subscription(self, req: Request, info: dict[str, Any]) -> Response:
        return json_response(200, self._public_sub(self.subscriptions[req.match["sub"].lower()]))

    # ---- alerts -----------------------------------------------------------------------------
    def _sorted_alerts(self, sub: str | None) -> list[dict[str, Any]]:
        with self.lock:
            items = [copy.deepcopy(a) for a in self.alerts.values()
                     if sub is None or subscription_of(a["id"]).lower() == sub.lower()]
        items.sort(key=lambda a: a["name"])
        items.sort(key=lambda a: parse_time(a["properties"]["timeGeneratedUtc"]), reverse=True)
        return items

    @staticmethod
    def _alert_location(a: dict[str, Any]) -> str:
        return re.search(r"(?i)/locations/([^/]+)/alerts/", a["id"]).group(1)

    def _list_alerts(self, req: Request, info: dict[str, Any]) -> Response:
        items = self._sorted_alerts(req.match["sub"])
        rg, loc = req.match["rg"], req.match["loc"]
        if rg:
            items = [a for a in items if (resource_group_of(a["id"]) or "").lower() == rg.lower()]
        if loc:
            items = [a for a in items if self._alert_location(a).lower() == loc.lower()]
        return self._page(req, items)

    def _find_alert(self, req: Request) -> dict[str, Any] | None:
        a = self.alerts.get(req.match["name"].lower())
        if a is None or subscription_of(a["id"]).lower() != req.match["sub"].lower() or \
                self._alert_location(a).lower() != req.match["loc"].lower():
            return None
        rg = req.match["rg"]
        if rg and (resource_group_of(a["id"]) or "").lower() != rg.lower():
            return None
        return a

    def _alert_not_found(self, req: Request) -> Response:
        # [not in spec] the exact error code Defender answers for an unknown alert is not documented.
        return self._arm_error(404, "NotFound", f"Alert '{req.match['name']}' was not found in location "
                                                f"'{req.match['loc']}' of subscription '{req.match['sub']}'.")

    def _get_alert(self, req: Request, info: dict[str, Any]) -> Response:
        with self.lock:
            a = self._find_alert(req)
            if a is None:
                return self._alert_not_found(req)
            return json_response(200, copy.deepcopy(a))

    def _alert_action(self, req: Request, info: dict[str, Any]) -> Response:
        with self.lock:
            a = self._find_alert(req)
            if a is None:
                return self._alert_not_found(req)
            a["properties"]["status"] = ALERT_ACTIONS[req.match["action"].lower()]
        return Response(204, None)

    def _build_alert(self, sub: str, spec: dict[str, Any]) -> dict[str, Any]:
        props = dict(spec.get("properties") or {})
        meta_keys = {"name", "location", "resource_id", "resource_group", "properties"}
        props.update({k: v for k, v in spec.items() if k not in meta_keys})
        now = now_utc()
        start = parse_time(props["startTimeUtc"]) if props.get("startTimeUtc") else now - dt.timedelta(minutes=20)
        location = spec.get("location") or "westeurope"
        resource_id = spec.get("resource_id")
        if resource_id is None:
            ids = [r.get("azureResourceId") for r in props.get("resourceIdentifiers") or []
                   if isinstance(r, dict) and r.get("type") == "AzureResource"]
            resource_id = ids[0] if ids else \
                f"/subscriptions/{sub}/resourceGroups/{spec.get('resource_group') or 'myRg1'}" \
                "/providers/Microsoft.Compute/virtualMachines/vm1"
        if subscription_of(resource_id) is None or subscription_of(resource_id).lower() != sub.lower():
            raise ValueError(f"resource_id {resource_id!r} is not in subscription {sub}")
        rg = spec.get("resource_group") or resource_group_of(resource_id)
        name = spec.get("name") or f"{reverse_ticks(start)}_{str(uuid.uuid4()).upper()}"
        scope = f"/subscriptions/{sub}" + (f"/resourceGroups/{rg}" if rg else "")
        resource_name = resource_id.rstrip("/").rsplit("/", 1)[-1]
        if props.get("timeGeneratedUtc"):
            generated = parse_time(props["timeGeneratedUtc"])
        else:  # generated shortly after the activity started, never in the future
            generated = min(start + dt.timedelta(minutes=2), max(now, start))
        defaults = {
            "version": "2022-01-01",
            "alertType": "VM_EICAR",
            "systemAlertId": name,
            "productComponentName": "Servers",
            "alertDisplayName": "Azure Security Center test alert (not a threat)",
            "description": "This is a test alert generated by Azure Security Center. No further action is needed.",
            "severity": "High",
            "intent": "Execution",
            "startTimeUtc": iso7(start),
            "endTimeUtc": iso7(start),
            "resourceIdentifiers": [{"azureResourceId": resource_id, "type": "AzureResource"}],
            "remediationSteps": ["No further action is needed."],
            "vendorName": "Microsoft",
            "status": "Active",
            "extendedLinks": [],
            "alertUri": "https://portal.azure.com/#blade/Microsoft_Azure_Security/AlertBlade/alertId/"
                        f"{name}/subscriptionId/{sub}/resourceGroup/{rg or ''}/referencedFrom/alertDeepLink/"
                        f"location/{location}",
            "timeGeneratedUtc": iso7(generated),
            "productName": "Azure Security Center",
            "processingEndTimeUtc": iso7(generated + dt.timedelta(seconds=1)),
            "entities": [{"hostName": resource_name, "azureID": resource_id, "type": "host"}],
            "isIncident": False,
            "correlationKey": base64.b64encode(secrets.token_bytes(30)).decode(),
            "extendedProperties": {"resourceType": "Virtual Machine"} if "/virtualmachines/" in resource_id.lower()
            else {},
            "compromisedEntity": resource_name,
            "techniques": [],
            "subTechniques": [],
        }
        defaults.update(props)
        if defaults["status"] not in ALERT_STATUSES:
            raise ValueError(f"status must be one of {ALERT_STATUSES}")
        if defaults["severity"] not in ALERT_SEVERITIES:
            raise ValueError(f"severity must be one of {ALERT_SEVERITIES}")
        return {"id": f"{scope}/providers/Microsoft.Security/locations/{location}/alerts/{name}",
                "name": name, "type": "Microsoft.Security/Locations/alerts", "properties": defaults}

    def _ctl_add_alert(self, req: Request) -> Response:
        body = req.json() or {}
        sub = body.get("subscription") or DEFAULT_SUBSCRIPTION
        with self.lock:
            if sub.lower() not in self.subscriptions:
                raise ValueError(f"subscription {sub} is not registered (POST /_emu/azure/subscriptions)")
            sub = self.subscriptions[sub.lower()]["subscriptionId"]
            alert = self._build_alert(sub, body.get("alert") or {})
            self.alerts[alert["name"].lower()] = alert
            return json_response(200, copy.deepcopy(alert))

    def _ctl_alert_status(self, req: Request) -> Response:
        status = (req.json() or {}).get("status")
        if status not in ALERT_STATUSES:
            raise ValueError(f"status must be one of {ALERT_STATUSES}")
        with self.lock:
            a = self.alerts.get(req.match["name"].lower())
            if a is None:
                return json_response(404, {"message": f"no alert {req.match['name']}"})
            a["properties"]["status"] = status
            return json_response(200, copy.deepcopy(a))

    # ---- assessments ------------------------------------------------------------------------
    def _metadata_item(self, key: str, sub: str | None = None) -> dict[str, Any]:
        m = copy.deepcopy(self.metadata[key])
        # built-in metadata keeps its tenant-level id even when listed under a subscription (as in
        # ListAssessmentsMetadata_subscription_example.json); customer-managed ones live in the subscription
        prefix = f"/subscriptions/{sub}" if sub and m.get("assessmentType") == "CustomerManaged" else ""
        return {"id": f"{prefix}/providers/Microsoft.Security/assessmentMetadata/{key}", "name": key,
                "type": "Microsoft.Security/assessmentMetadata", "properties": m}

    def _metadata(self, req: Request, info: dict[str, Any]) -> Response:
        with self.lock:
            name = req.match["name"]
            if name:
                key = next((k for k in self.metadata if k.lower() == name.lower()), None)
                if key is None:
                    return self._arm_error(404, "NotFound", f"Assessment metadata '{name}' was not found.")
                return json_response(200, self._metadata_item(key, req.match["sub"]))
            items = [self._metadata_item(k, req.match["sub"]) for k in sorted(self.metadata)]
        return self._page(req, items)

    def _render_assessment(self, a: dict[str, Any], links: bool, metadata: bool) -> dict[str, Any]:
        key = a["key"]
        props: dict[str, Any] = {"resourceDetails": {"source": "Azure", "id": a["resource_id"]},
                                 "displayName": a["display_name"], "status": copy.deepcopy(a["status"])}
        if a["additional_data"]:
            props["additionalData"] = dict(a["additional_data"])
        if links:
            props["links"] = {"azurePortalUri": "https://portal.azure.com/#blade/Microsoft_Azure_Security/"
                                                f"RecommendationsBlade/assessmentKey/{key}"}
        if metadata:
            m = self.metadata[key]
            props["metadata"] = {k: copy.deepcopy(v) for k, v in m.items()
                                 if k not in ("publishDates", "plannedDeprecationDate", "tactics", "techniques")}
        return {"id": f"{a['resource_id']}/providers/Microsoft.Security/assessments/{key}", "name": key,
                "type": "Microsoft.Security/assessments", "properties": props}

    def _assessments(self, req: Request, info: dict[str, Any]) -> Response:
        expand = {e.strip().lower() for e in (req.q("$expand") or "").split(",") if e.strip()}
        links, metadata = "links" in expand, "metadata" in expand
        scope, name = req.match["scope"], req.match["name"]
        with self.lock:
            if name:
                a = self.assessments.get((seg_lower(scope), name.lower()))
                if a is None:
                    # [not in spec] exact not-found error of the RP undocumented
                    return self._arm_error(404, "NotFound", f"Assessment '{name}' was not found on resource "
                                                            f"'{scope}'.")
                return json_response(200, self._render_assessment(a, links, metadata))
            items = [a for a in self.assessments.values() if under_scope(a["resource_id"], scope)]
            items.sort(key=lambda a: (seg_lower(a["resource_id"]), a["key"]))
            rendered = [self._render_assessment(a, links, metadata) for a in items]
        return self._page(req, rendered)

    def _add_assessment(self, spec: dict[str, Any]) -> dict[str, Any]:
        rid = spec.get("resource_id")
        key = spec.get("name") or spec.get("assessment_key")
        if not isinstance(rid, str) or not rid.startswith("/") or not isinstance(key, str) or not key:
            raise ValueError("'resource_id' (an ARM id) and 'name' (assessment key) are required")
        sub = subscription_of(rid)
        if sub is None or sub.lower() not in self.subscriptions:
            raise ValueError(f"resource {rid!r} is not in a registered subscription")
        rid = "/" + rid.strip("/")
        known = next((k for k in self.metadata if k.lower() == key.lower()), None)
        if spec.get("metadata"):
            base = copy.deepcopy(self.metadata.get(known, {})) if known else {
                "displayName": spec.get("display_name") or key, "description": "", "remediationDescription": "",
                "categories": [], "severity": "Medium", "userImpact": "Low", "implementationEffort": "Low",
                "threats": [], "assessmentType": "CustomerManaged"}
            base.update(spec["metadata"])
            if base.get("severity") not in ("Low", "Medium", "High"):
                raise ValueError("metadata.severity must be Low, Medium or High")
            key = known or key
            self.metadata[key] = base
        elif known is None:
            raise ValueError(f"assessment key {key} is not in the built-in catalogue; give 'metadata'")
        else:
            key = known
        if spec.get("control"):
            if not any(c["id"] == spec["control"] for c in CONTROLS):
                raise ValueError(f"unknown control {spec['control']}")
            self.custom_control_keys[key.lower()] = spec["control"]
        status = spec.get("status") or "Healthy"
        status = {"code": status} if isinstance(status, str) else dict(status)
        if status.get("code") not in ASSESSMENT_CODES:
            raise ValueError(f"status.code must be one of {ASSESSMENT_CODES}")
        now = iso7(now_utc())
        k = (seg_lower(rid), key.lower())
        old = self.assessments.get(k)
        status["firstEvaluationDate"] = old["status"]["firstEvaluationDate"] if old else \
            status.get("firstEvaluationDate", now)
        status["statusChangeDate"] = old["status"]["statusChangeDate"] if old and \
            old["status"]["code"] == status["code"] else status.get("statusChangeDate", now)
        a = {"resource_id": rid, "key": key, "status": status,
             "display_name": spec.get("display_name") or self.metadata[key]["displayName"],
             "additional_data": dict(spec.get("additional_data") or {})}
        self.assessments[k] = a
        return a

    def _ctl_add_assessment(self, req: Request) -> Response:
        with self.lock:
            a = self._add_assessment(req.json() or {})
            return json_response(200, self._render_assessment(a, True, True))

    # ---- secure score -----------------------------------------------------------------------
    def _control_keys(self, control: dict[str, Any]) -> set[str]:
        keys = {k.lower() for k in control["keys"]}
        keys |= {k for k, c in self.custom_control_keys.items() if c == control["id"]}
        return keys

    def _compute(self, sub: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        with self.lock:
            mine = [a for a in self.assessments.values() if subscription_of(a["resource_id"]).lower() == sub.lower()]
            controls = []
            scored_resources: set[str] = set()
            for c in CONTROLS:
                keys = self._control_keys(c)
                per_resource: dict[str, set[str]] = {}
                for a in mine:
                    if a["key"].lower() in keys:
                        per_resource.setdefault(seg_lower(a["resource_id"]), set()).add(a["status"]["code"])
                healthy = unhealthy = na = 0
                for rid, codes in per_resource.items():
                    if "Unhealthy" in codes:
                        unhealthy += 1
                    elif "Healthy" in codes:
                        healthy += 1
                    else:
                        na += 1
                    if codes & {"Healthy", "Unhealthy"} and c["maxScore"] > 0:
                        scored_resources.add(rid)
                applicable = healthy + unhealthy
                mx = c["maxScore"] if applicable else 0
                current = round(mx * healthy / applicable, 2) if applicable else 0.0
                pct = round(current / mx, 4) if mx else 0.0
                controls.append({"control": c, "healthy": healthy, "unhealthy": unhealthy, "na": na,
                                 "max": mx, "current": current, "percentage": pct, "weight": applicable})
        total_max = sum(x["max"] for x in controls)
        total_current = round(sum(x["current"] for x in controls), 2)
        total = {"max": total_max, "current": total_current,
                 "percentage": round(total_current / total_max, 4) if total_max else 0.0,
                 "weight": len(scored_resources)}
        return controls, total

    def _score_item(self, sub: str) -> dict[str, Any]:
        _, total = self._compute(sub)
        return {"id": f"/subscriptions/{sub}/providers/Microsoft.Security/secureScores/ascScore", "name": "ascScore",
                "type": "Microsoft.Security/secureScores",
                "properties": {"displayName": "ASC score",
                               "score": {"max": total["max"], "current": num(total["current"]),
                                         "percentage": num(total["percentage"])},
                               "weight": total["weight"]}}

    @staticmethod
    def _definition(c: dict[str, Any], keys: set[str] | None = None) -> dict[str, Any]:
        ks = list(c["keys"]) + sorted(k for k in (keys or set()) if k not in {x.lower() for x in c["keys"]})
        return {"id": f"/providers/Microsoft.Security/secureScoreControlDefinitions/{c['id']}", "name": c["id"],
                "type": "Microsoft.Security/secureScoreControlDefinitions",
                "properties": {"source": {"sourceType": "BuiltIn"}, "displayName": c["displayName"],
                               "maxScore": c["maxScore"],
                               "assessmentDefinitions": [{"id": f"/providers/Microsoft.Security/assessmentMetadata/{k}"}
                                                         for k in ks]}}

    def _sub_id(self, req: Request) -> str:
        return self.subscriptions[req.match["sub"].lower()]["subscriptionId"]

    def _list_scores(self, req: Request, info: dict[str, Any]) -> Response:
        return self._page(req, [self._score_item(self._sub_id(req))])

    def _score_not_found(self, req: Request, name: str) -> Response:
        # [not in spec] only the ASC default initiative ('ascScore') is emulated
        return self._arm_error(404, "NotFound", f"Secure score '{name}' was not found.")

    def _get_score(self, req: Request, info: dict[str, Any]) -> Response:
        if req.match["score"].lower() != "ascscore":
            return self._score_not_found(req, req.match["score"])
        return json_response(200, self._score_item(self._sub_id(req)))

    def _list_controls(self, req: Request, info: dict[str, Any]) -> Response:
        if req.match["score"] and req.match["score"].lower() != "ascscore":
            return self._score_not_found(req, req.match["score"])
        sub = self._sub_id(req)
        expand = (req.q("$expand") or "").lower() == "definition"
        controls, _ = self._compute(sub)
        items = []
        for x in controls:
            c = x["control"]
            props: dict[str, Any] = {"displayName": c["displayName"], "healthyResourceCount": x["healthy"],
                                     "unhealthyResourceCount": x["unhealthy"],
                                     "notApplicableResourceCount": x["na"],
                                     "score": {"max": x["max"], "current": num(x["current"]),
                                               "percentage": num(x["percentage"])}}
            if expand:
                with self.lock:
                    props["definition"] = self._definition(c, self._control_keys(c))
            props["weight"] = x["weight"]
            items.append({"id": f"/subscriptions/{sub}/providers/Microsoft.Security/secureScores/ascScore/"
                                f"secureScoreControls/{c['id']}", "name": c["id"],
                          "type": "Microsoft.Security/secureScores/secureScoreControls", "properties": props})
        return self._page(req, items)

    def _list_control_definitions(self, req: Request, info: dict[str, Any]) -> Response:
        with self.lock:
            items = [self._definition(c, self._control_keys(c)) for c in CONTROLS]
        return self._page(req, items)

    # ---- control endpoints --------------------------------------------------------------------
    def _ctl_add_principal(self, req: Request) -> Response:
        with self.lock:
            return json_response(200, self._add_principal(req.json() or {}))

    def _ctl_managed_identity(self, req: Request) -> Response:
        body = req.json() or {}
        unknown = set(body) - {"enabled", "client_id", "object_id", "tenant", "user_assigned", "identity_header"}
        if unknown:
            raise ValueError(f"unknown keys: {sorted(unknown)}")
        with self.lock:
            self.managed_identity.update(body)
            t = self.managed_identity["tenant"]
            self.tenants.setdefault(t.lower(), {"id": t, "domains": []})
            return json_response(200, dict(self.managed_identity))

    def _ctl_token_lifetime(self, req: Request) -> Response:
        seconds = int((req.json() or {}).get("seconds", 0))
        if seconds < 1:
            raise ValueError("'seconds' must be >= 1")
        with self.lock:
            self.token_lifetime = seconds
        return json_response(200, {"seconds": seconds})

    def _ctl_expire_tokens(self, req: Request) -> Response:
        now = time.time()
        n = 0
        with self.lock:
            for t in self.tokens.values():
                if t["revoked_at"] is None and t["expires_at"] > now:
                    t["revoked_at"] = now
                    n += 1
        return json_response(200, {"expired": n})

    def _ctl_tokens(self, req: Request) -> Response:
        now = time.time()
        with self.lock:
            out = [{"access_token": t["access_token"], "client_id": t["client_id"], "tenant": t["tenant"],
                    "audience": t["audience"], "issued_at": t["issued_at"], "expires_at": t["expires_at"],
                    "expired": now >= (t["revoked_at"] if t["revoked_at"] is not None else t["expires_at"]),
                    "via": t["via"]} for t in self.tokens.values()]
        return json_response(200, {"tokens": out})

    def _ctl_add_subscription(self, req: Request) -> Response:
        with self.lock:
            return json_response(200, self._add_subscription(req.json() or {}))

    def _ctl_page_size(self, req: Request) -> Response:
        size = int((req.json() or {}).get("size", 0))
        if size < 1:
            raise ValueError("'size' must be >= 1")
        with self.lock:
            self.page_size = size
        return json_response(200, {"size": size})

    # ---- demo data --------------------------------------------------------------------------
    def seed_demo(self) -> dict[str, Any]:
        with self.lock:
            return self._seed_demo()

    def _seed_demo(self) -> dict[str, Any]:
        a_sub, b_sub = DEFAULT_SUBSCRIPTION, DEMO_SUBSCRIPTION_2
        self._add_subscription({"id": a_sub, "display_name": "Contoso Production"})
        self._add_subscription({"id": b_sub, "display_name": "Contoso Development"})
        now = now_utc()

        def vm(sub: str, rg: str, name: str) -> str:
            return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}"

        def ago(**kw: float) -> str:
            return iso7(now - dt.timedelta(**kw))

        law = {"workspaceId": "f419f624-acad-4d89-b86d-f62fa387f019", "workspaceSubscriptionId": a_sub,
               "workspaceResourceGroup": "myRg1", "agentId": "75724a01-f021-4aa8-9ec2-329792373e6e",
               "type": "LogAnalytics"}
        storage_a = f"/subscriptions/{a_sub}/resourceGroups/prod-data/providers/Microsoft.Storage/storageAccounts/contosoprodstore"
        sql_a = f"/subscriptions/{a_sub}/resourceGroups/prod-data/providers/Microsoft.Sql/servers/contoso-sql"
        alerts = [
            (a_sub, {"resource_id": vm(a_sub, "myRg1", "vm1"), "startTimeUtc": ago(hours=3), "timeGeneratedUtc": ago(hours=2, minutes=58),
                     "resourceIdentifiers": [{"azureResourceId": vm(a_sub, "myRg1", "vm1"), "type": "AzureResource"}, law],
                     "entities": [{"address": "192.0.2.1", "location": {"countryCode": "gb", "state": "wokingham",
                                   "city": "sonning", "longitude": -0.909, "latitude": 51.468, "asn": 6584}, "type": "ip"}],
                     "techniques": ["T1059"], "subTechniques": ["T1059.001"]}),
            (a_sub, {"resource_id": vm(a_sub, "myRg2", "vm2"), "alertType": "VM_SuspiciousScreenSaver",
                     "alertDisplayName": "Suspicious Screensaver process executed",
                     "description": "The process 'c:\\users\\contosoUser\\scrsave.scr' was observed executing from an uncommon location. Files with the .scr extensions are screen saver files and are normally reside and execute from the Windows system directory.",
                     "severity": "Medium", "intent": "Execution", "startTimeUtc": ago(days=1, hours=2),
                     "remediationSteps": ["1. Run Process Explorer and try to identify unknown running processes (see https://technet.microsoft.com/en-us/sysinternals/bb896653.aspx)",
                                          "2. Make sure the machine is completely updated and has an updated anti-malware application installed",
                                          "3. Run a full anti-malware scan and verify that the threat was removed",
                                          "6. Escalate the alert to the information security team"],
                     "entities": [{"hostName": "vm2", "netBiosName": "vm2", "azureID": vm(a_sub, "myRg2", "vm2"), "type": "host"},
                                  {"name": "contosoUser", "ntDomain": "vm2", "logonId": "0x61450d87", "type": "account"},
                                  {"directory": "c:\\users\\contosoUser", "name": "scrsave.scr", "type": "file"}],
                     "extendedProperties": {"user name": "vm2\\contosoUser", "process name": "c:\\users\\contosoUser\\scrsave.scr",
                                            "parent process": "cmd.exe", "resourceType": "Virtual Machine"},
                     "techniques": ["T1059", "T1053", "T1072"], "subTechniques": ["T1059.001", "T1059.006", "T1053.002"]}),
            (a_sub, {"resource_id": vm(a_sub, "myRg1", "linux-jump01"), "alertType": "VM_SshBruteForceSuccess",
                     "alertDisplayName": "Successful SSH brute force attack",
                     "description": "Analysis of authentication activity detected a successful login after many failed attempts from 203.0.113.45, indicating a successful brute force attack on the SSH service.",
                     "severity": "High", "intent": "InitialAccess", "startTimeUtc": ago(minutes=50),
                     "remediationSteps": ["1. Reset the password of the compromised account and review its recent activity.",
                                          "2. Restrict SSH access with just-in-time VM access or network security group rules.",
                                          "3. Use SSH keys instead of passwords."],
                     "entities": [{"address": "203.0.113.45", "type": "ip"},
                                  {"name": "azureuser", "type": "account"}],
                     "extendedProperties": {"attacker source IP": "203.0.113.45", "successful logins": "1",
                                            "failed attempts": "274", "resourceType": "Virtual Machine"},
                     "techniques": ["T1110"], "subTechniques": ["T1110.001"]}),
            (a_sub, {"resource_id": storage_a, "alertType": "Storage.Blob_GeoAnomaly",
                     "productComponentName": "Storage",
                     "alertDisplayName": "Access from an unusual location to a storage account",
                     "description": "Indicates that there was a change in the access pattern to an Azure Storage account: someone accessed it from an IP address considered unfamiliar when compared with recent activity.",
                     "severity": "Low", "intent": "Exfiltration", "startTimeUtc": ago(hours=7),
                     "remediationSteps": ["Limit access to your storage account, following the 'least privilege' principle.",
                                          "Revoke all storage access tokens that may be compromised."],
                     "entities": [{"address": "198.51.100.23", "location": {"countryCode": "br", "city": "sao paulo"}, "type": "ip"},
                                  {"name": "contosoprodstore", "type": "azure-resource", "resourceId": storage_a}],
                     "extendedProperties": {"Client IP address": "198.51.100.23", "Operations types": "GetBlob",
                                            "resourceType": "Storage"},
                     "techniques": ["T1530"]}),
            (a_sub, {"resource_id": sql_a + "/databases/salesdb", "alertType": "SQL.DB_BruteForce",
                     "productComponentName": "Databases",
                     "alertDisplayName": "Suspected brute force attack",
                     "description": "A potential brute force attack has been detected on your SQL database 'salesdb'.",
                     "severity": "High", "status": "InProgress", "intent": "PreAttack", "startTimeUtc": ago(hours=26),
                     "remediationSteps": ["Block the attacking IP address with a firewall rule.",
                                          "Use Azure Active Directory authentication for the server."],
                     "extendedProperties": {"Client IP Address": "192.0.2.77", "Principal name": "sa", "resourceType": "SQL Database"},
                     "techniques": ["T1110"]}),
            (b_sub, {"resource_id": vm(b_sub, "dev-rg", "devbox01"), "status": "Resolved",
                     "startTimeUtc": ago(days=2)}),
            (b_sub, {"resource_id": vm(b_sub, "dev-rg", "devbox02"), "alertType": "VM_SuspiciousScreenSaver",
                     "alertDisplayName": "Suspicious Screensaver process executed", "severity": "Medium",
                     "status": "Dismissed", "location": "eastus", "startTimeUtc": ago(days=5)}),
        ]
        for sub, spec in alerts:
            a = self._build_alert(sub, spec)
            self.alerts[a["name"].lower()] = a

        def res(sub: str, rg: str, provider: str) -> str:
            return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{provider}"

        A = [  # (resource, key, status[, cause, description])
            (f"/subscriptions/{a_sub}", "94290b00-4d0c-d7b4-7cea-064a9554e681", "Unhealthy"),
            (f"/subscriptions/{a_sub}", "57e98606-6b1e-6193-0e3d-fe621387c16b", "Healthy"),
            (f"/subscriptions/{a_sub}", "56a6e81f-7413-4f72-9a1b-aaeeaa87c872", "Unhealthy"),
            (f"/subscriptions/{a_sub}", "c3b6ae71-f1f0-31b4-e6c1-d5951285d03d", "Healthy"),
            (storage_a, "1c5de8e1-f68d-6a17-e0d2-ec259c42768c", "Healthy"),
            (res(a_sub, "prod-data", "Microsoft.Storage/storageAccounts/contosologs01"),
             "1c5de8e1-f68d-6a17-e0d2-ec259c42768c", "Unhealthy"),
            (sql_a + "/databases/salesdb", "651967bf-044e-4bde-8376-3e08e0600105", "Healthy"),
            (sql_a + "/databases/hrdb", "651967bf-044e-4bde-8376-3e08e0600105", "Unhealthy"),
            (sql_a, "94208a8b-16e8-4e5b-abbd-4e81c9d02bee", "Unhealthy"),
            (vm(a_sub, "myRg1", "vm1"), "4ab6e3c5-74dd-8b35-9ab9-f61b30875b27", "Unhealthy"),
            (vm(a_sub, "myRg1", "vm1"), "483f12ed-ae23-447e-a2de-a67a10db4353", "Healthy"),
            (vm(a_sub, "myRg1", "linux-jump01"), "483f12ed-ae23-447e-a2de-a67a10db4353", "Unhealthy"),
            (vm(a_sub, "myRg1", "linux-jump01"), "bc303248-3d14-44c2-96a0-55f5c326b5fe", "Unhealthy"),
            (vm(a_sub, "myRg2", "vm2"), "4ab6e3c5-74dd-8b35-9ab9-f61b30875b27", "Healthy"),
            (res(a_sub, "myRg", "Microsoft.Compute/virtualMachineScaleSets/vmss1"),
             "21300918-b2e3-0346-785f-c77ff57d243b", "Healthy"),
            (res(a_sub, "myRg", "Microsoft.Compute/virtualMachineScaleSets/vmss2"),
             "21300918-b2e3-0346-785f-c77ff57d243b", "NotApplicable", "OffByPolicy",
             "The effective policy for the assessment was evaluated to off - use Microsoft.Authorization/"
             "policyAssignments to turn this assessment on"),
            (f"/subscriptions/{b_sub}", "94290b00-4d0c-d7b4-7cea-064a9554e681", "Healthy"),
            (f"/subscriptions/{b_sub}", "57e98606-6b1e-6193-0e3d-fe621387c16b", "Unhealthy"),
            (res(b_sub, "dev-rg", "Microsoft.Storage/storageAccounts/contosodevstore"),
             "1c5de8e1-f68d-6a17-e0d2-ec259c42768c", "Unhealthy"),
            (vm(b_sub, "dev-rg", "devbox01"), "4ab6e3c5-74dd-8b35-9ab9-f61b30875b27", "Unhealthy"),
            (vm(b_sub, "dev-rg", "devbox02"), "4ab6e3c5-74dd-8b35-9ab9-f61b30875b27", "Healthy"),
        ]
        for row in A:
            status: dict[str, Any] = {"code": row[2]}
            if len(row) > 3:
                status.update(cause=row[3], description=row[4])
            extra = {"linkedWorkspaceId": f"/subscriptions/{a_sub}/resourceGroups/myRg/providers/"
                                          "Microsoft.OperationalInsights/workspaces/myLaWorkspace"} \
                if "virtualMachine" in row[0] else {}
            self._add_assessment({"resource_id": row[0], "name": row[1], "status": status, "additional_data": extra})
        return {"subscriptions": [a_sub, b_sub], "alerts": len(alerts), "assessments": len(A)}


def main(argv: list[str] | None = None) -> None:
    emu = AzureArm()

    def extra(p: Any) -> None:
        p.add_argument("--seed", choices=["demo"], help="seed demo data (restored by /_emu/reset)")

    def configure(e: AzureArm, args: Any, port: int) -> None:
        with e.lock:
            e.port = port
            e.startup_seed = args.seed
            if args.seed:
                e.seed_demo()

    serve(emu, argv, extra_args=extra, configure=configure)


if __name__ == "__main__":
    main()
