"""Tests of the Entra ID + ARM (Defender for Cloud) emulator, through raw HTTP."""

from __future__ import annotations

import base64
import json
import time
import urllib.parse

from emu_case import EmulatorTestCase

TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
CLIENT = "6731de76-14a6-49ae-97bc-6eba6914391e"
SECRET = "hubble-emulator-secret"
SUB = "20ff7fc3-e762-44dd-bd96-b71116dcdc23"
SUB2 = "0980887d-03d6-408c-9566-532f3456804e"
ARM_SCOPE = "https://management.azure.com/.default"
MS = "/providers/Microsoft.Security"
AV_ALERTS = "api-version=2022-01-01"
AV_ASSESS = "api-version=2021-06-01"
AV_SCORE = "api-version=2020-01-01"

# keys and controls from the spec examples
MFA_OWNER = "94290b00-4d0c-d7b4-7cea-064a9554e681"
MFA_WRITE = "57e98606-6b1e-6193-0e3d-fe621387c16b"
SECURE_TRANSFER = "1c5de8e1-f68d-6a17-e0d2-ec259c42768c"
SQL_TDE = "651967bf-044e-4bde-8376-3e08e0600105"
VMSS_EP = "21300918-b2e3-0346-785f-c77ff57d243b"
CTRL_MFA = "34a42fb3-e6db-409c-b56b-7b1db6b8aee0"            # max 10
CTRL_TRANSIT = "0e55495e-034f-4abc-8293-767229250176"        # max 4
CTRL_REST = "8fd574ec-43cf-426e-a439-a67cbaf2d564"           # max 4
CTRL_EP = "12136bd9-dc24-44f2-9587-7be3af6aac14"             # max 2


def jwt(claims: dict, header: dict | None = None) -> str:
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    return f"{enc(header or {'alg': 'RS256', 'typ': 'JWT'})}.{enc(claims)}.c2lnbmF0dXJl"


def storage(name: str, rg: str = "rg-data", sub: str = SUB) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Storage/storageAccounts/{name}"


class AzureTestCase(EmulatorTestCase):
    script = "azure_arm.py"

    def token_call(self, tenant=TENANT, **form):
        fields = {"grant_type": "client_credentials", "client_id": CLIENT, "client_secret": SECRET,
                  "scope": ARM_SCOPE}
        fields.update(form)
        fields = {k: v for k, v in fields.items() if v is not None}
        return self.call("POST", f"/{tenant}/oauth2/v2.0/token", form=fields)

    def token(self, **form) -> str:
        status, _, body = self.token_call(**form)
        self.assertEqual(status, 200, body)
        return body["access_token"]

    def arm(self, method, path, token=None, headers=None):
        hdrs = {"Authorization": f"Bearer {token or self.token()}"}
        hdrs.update(headers or {})
        return self.call(method, path, headers=hdrs)

    def seed_alert(self, sub=SUB, **alert):
        status, _, body = self.call("POST", "/_emu/azure/alerts", {"subscription": sub, "alert": alert})
        self.assertEqual(status, 200, body)
        return body

    def seed_assessment(self, resource_id, key, status, **kw):
        st, _, body = self.call("POST", "/_emu/azure/assessments",
                                dict({"resource_id": resource_id, "name": key, "status": status}, **kw))
        self.assertEqual(st, 200, body)
        return body

    def assert_aad_error(self, resp, status, error, code):
        st, _, body = resp
        self.assertEqual(st, status, body)
        self.assertEqual(body["error"], error)
        self.assertEqual(body["error_codes"], [code])
        self.assertTrue(body["error_description"].startswith(f"AADSTS{code}: "), body["error_description"])
        for k in ("timestamp", "trace_id", "correlation_id"):
            self.assertTrue(body[k], k)

    def assert_arm_error(self, resp, status, code):
        st, _, body = resp
        self.assertEqual(st, status, body)
        self.assertEqual(body["error"]["code"], code, body)
        self.assertTrue(body["error"]["message"])
        return resp


class TokenTests(AzureTestCase):
    def test_client_secret_token(self):
        status, headers, body = self.token_call()
        self.assertEqual(status, 200)
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["expires_in"], 3599)
        self.assertEqual(body["ext_expires_in"], 3599)
        claims = json.loads(base64.urlsafe_b64decode(body["access_token"].split(".")[1] + "=="))
        self.assertEqual((claims["tid"], claims["appid"], claims["aud"]),
                         (TENANT, CLIENT, "https://management.azure.com"))
        self.assertEqual(claims["exp"] - claims["iat"], 3599)
        # the token works on ARM
        self.assertEqual(self.arm("GET", f"/subscriptions/{SUB}{MS}/alerts?{AV_ALERTS}", body["access_token"])[0], 200)

    def test_bad_secret_unknown_client_unknown_tenant(self):
        self.assert_aad_error(self.token_call(client_secret="wrong"), 401, "invalid_client", 7000215)
        self.assert_aad_error(self.token_call(client_id="11111111-2222-3333-4444-555555555555"),
                              400, "unauthorized_client", 700016)
        self.assert_aad_error(self.token_call(tenant="00000000-0000-0000-0000-000000000001"),
                              400, "invalid_request", 90002)
        self.assert_aad_error(self.token_call(client_secret=None), 401, "invalid_client", 7000218)
        self.assert_aad_error(self.token_call(grant_type="password"), 400, "unsupported_grant_type", 70003)
        self.assert_aad_error(self.token_call(scope=None), 400, "invalid_request", 900144)
        # the client's request id becomes the correlation id, as Entra does
        st, _, body = self.call("POST", f"/{TENANT}/oauth2/v2.0/token", headers={"client-request-id": "abc-123"},
                                form={"grant_type": "client_credentials", "client_id": CLIENT,
                                      "client_secret": "x", "scope": ARM_SCOPE})
        self.assertEqual(body["correlation_id"], "abc-123")
        self.assertIn("\r\nCorrelation ID: abc-123\r\n", body["error_description"])
        # nothing was issued
        self.assertEqual(self.call("GET", "/_emu/azure/tokens")[2]["tokens"], [])

    def test_scopes(self):
        self.assert_aad_error(self.token_call(scope="https://management.azure.com/user_impersonation"),
                              400, "invalid_scope", 1002012)
        self.assert_aad_error(self.token_call(scope="https://unknown.example.com/.default"),
                              400, "invalid_resource", 500011)
        for scope in ("https://management.core.windows.net//.default", "https://management.azure.com//.default",
                      self.endpoint + "/.default"):
            tok = self.token(scope=scope)
            self.assertEqual(self.arm("GET", f"/subscriptions/{SUB}{MS}/alerts?{AV_ALERTS}", tok)[0], 200, scope)
        # a token for another resource is refused by ARM
        vault = self.token(scope="https://vault.azure.net/.default")
        st, headers, body = self.assert_arm_error(
            self.arm("GET", f"/subscriptions/{SUB}{MS}/alerts?{AV_ALERTS}", vault),
            401, "InvalidAuthenticationTokenAudience")
        self.assertIn('error="invalid_token"', headers["WWW-Authenticate"])

    def test_registered_principal_tenant_domain_and_basic_auth(self):
        t2, c2 = "3b9b1f1e-0000-4000-8000-00000000beef", "c2c2c2c2-0000-4000-8000-000000000002"
        self.assertEqual(self.call("POST", "/_emu/azure/principals",
                                   {"tenant": t2, "client_id": c2, "client_secret": "s2",
                                    "domains": ["fabrikam.onmicrosoft.com"]})[0], 200)
        self.token(tenant="fabrikam.onmicrosoft.com", client_id=c2, client_secret="s2")
        # the default app does not exist in the new tenant
        self.assert_aad_error(self.token_call(tenant=t2), 400, "unauthorized_client", 700016)
        # client_secret_basic
        basic = base64.b64encode(f"{c2}:s2".encode()).decode()
        st, _, body = self.call("POST", f"/{t2}/oauth2/v2.0/token", headers={"Authorization": f"Basic {basic}"},
                                form={"grant_type": "client_credentials", "client_id": c2, "scope": ARM_SCOPE})
        self.assertEqual(st, 200, body)
        # a token of tenant 2 cannot read a subscription of the default tenant
        self.assert_arm_error(self.arm("GET", f"/subscriptions/{SUB}{MS}/alerts?{AV_ALERTS}", body["access_token"]),
                              401, "InvalidAuthenticationTokenTenant")

    def test_client_assertions(self):
        now = int(time.time())
        base = {"grant_type": "client_credentials", "client_id": CLIENT, "scope": ARM_SCOPE, "client_secret": None,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}
        cert = {"iss": CLIENT, "sub": CLIENT, "aud": f"https://login.microsoftonline.com/{TENANT}/oauth2/v2.0/token",
                "jti": "1", "nbf": now, "exp": now + 600}
        self.token(**base, client_assertion=jwt(cert))
        self.token(**base, client_assertion=jwt(dict(cert, aud=f"{self.endpoint}/{TENANT}/oauth2/v2.0/token")))
        self.assert_aad_error(self.token_call(**base, client_assertion=jwt(dict(cert, aud="https://elsewhere/"))),
                              401, "invalid_client", 50013)
        self.assert_aad_error(self.token_call(**base, client_assertion=jwt(dict(cert, exp=now - 10))),
                              401, "invalid_client", 700024)
        self.assert_aad_error(self.token_call(**base, client_assertion="not-a-jwt"), 400, "invalid_request", 50027)
        self.assert_aad_error(self.token_call(**dict(base, client_assertion_type="jwt"), client_assertion=jwt(cert)),
                              400, "invalid_request", 90014)
        # workload identity (federated credential of the default app)
        fed = {"iss": "https://oidc.emulator.local", "sub": "system:serviceaccount:soc:agent-hubble",
               "aud": ["api://AzureADTokenExchange"], "exp": now + 600}
        tok = self.token(**base, client_assertion=jwt(fed))
        self.assertEqual(self.arm("GET", f"/subscriptions/{SUB}{MS}/alerts?{AV_ALERTS}", tok)[0], 200)
        self.assert_aad_error(self.token_call(**base, client_assertion=jwt(dict(fed, sub="system:serviceaccount:x:y"))),
                              400, "invalid_request", 70021)
        vias = sorted(t["via"] for t in self.call("GET", "/_emu/azure/tokens")[2]["tokens"])
        self.assertEqual(vias, ["assertion"] * 3)

    def test_imds_and_app_service(self):
        q = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/"
        st, _, body = self.call("GET", q)
        self.assertEqual((st, body["error"]), (400, "invalid_request"))
        self.assertIn("metadata header", body["error_description"])
        st, _, body = self.call("GET", q, headers={"Metadata": "true"})
        self.assertEqual(st, 200, body)
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["resource"], "https://management.azure.com/")
        self.assertEqual(body["expires_in"], "3599")
        self.assertAlmostEqual(int(body["expires_on"]), time.time() + 3599, delta=5)
        self.assertEqual(self.arm("GET", f"/subscriptions/{SUB}{MS}/alerts?{AV_ALERTS}", body["access_token"])[0], 200)
        self.assertEqual(self.call("GET", q + "&client_id=99999999-0000-0000-0000-000000000000",
                                   headers={"Metadata": "true"})[2]["error_description"], "Identity not found")
        self.assertEqual(self.call("GET", q.replace("resource=https://management.azure.com/", ""),
                                   headers={"Metadata": "true"})[0], 400)
        self.call("POST", "/_emu/azure/managed-identity", {"enabled": False})
        self.assertEqual(self.call("GET", q, headers={"Metadata": "true"})[2]["error_description"],
                         "Identity not found")
        self.call("POST", "/_emu/azure/managed-identity", {"enabled": True})
        # App Service / Functions
        msi = "/msi/token?api-version=2019-08-01&resource=https://management.azure.com"
        self.assertEqual(self.call("GET", msi, headers={"X-IDENTITY-HEADER": "wrong"})[0], 401)
        st, _, body = self.call("GET", msi, headers={"X-IDENTITY-HEADER": "hubble-identity-header"})
        self.assertEqual(st, 200, body)
        self.assertEqual(set(body), {"access_token", "expires_on", "resource", "token_type", "client_id"})
        self.assertEqual(self.arm("GET", f"/subscriptions/{SUB}{MS}/alerts?{AV_ALERTS}", body["access_token"])[0], 200)

    def test_expire_tokens_then_new_token_works(self):
        old = self.token()
        path = f"/subscriptions/{SUB}{MS}/alerts?{AV_ALERTS}"
        self.assertEqual(self.arm("GET", path, old)[0], 200)
        self.assertEqual(self.call("POST", "/_emu/azure/expire-tokens")[2], {"expired": 1})
        st, headers, body = self.assert_arm_error(self.arm("GET", path, old), 401, "ExpiredAuthenticationToken")
        self.assertIn("is earlier than current UTC time", body["error"]["message"])
        self.assertTrue(headers["WWW-Authenticate"].startswith("Bearer "))
        self.assertIn('error="invalid_token"', headers["WWW-Authenticate"])
        new = self.token()
        self.assertNotEqual(new, old)
        self.assertEqual(self.arm("GET", path, new)[0], 200)
        self.assertEqual(self.arm("GET", path, old)[0], 401)

    def test_token_lifetime_natural_expiry(self):
        self.call("POST", "/_emu/azure/token-lifetime", {"seconds": 1})
        st, _, body = self.token_call()
        self.assertEqual(body["expires_in"], 1)
        path = f"/subscriptions/{SUB}{MS}/alerts?{AV_ALERTS}"
        self.assertEqual(self.arm("GET", path, body["access_token"])[0], 200)
        time.sleep(1.1)
        self.assert_arm_error(self.arm("GET", path, body["access_token"]), 401, "ExpiredAuthenticationToken")
        self.assertTrue(self.call("GET", "/_emu/azure/tokens")[2]["tokens"][0]["expired"])


class ArmFrontDoorTests(AzureTestCase):
    def test_missing_and_invalid_authorization(self):
        path = f"/subscriptions/{SUB}{MS}/alerts?{AV_ALERTS}"
        st, headers, _ = self.assert_arm_error(self.call("GET", path), 401, "AuthenticationFailed")
        self.assertIn('error="invalid_token"', headers["WWW-Authenticate"])
        self.assert_arm_error(self.call("GET", path, headers={"Authorization": "Basic abc"}), 401,
                              "AuthenticationFailed")
        self.assert_arm_error(self.arm("GET", path, "eyJ.not.issued"), 401, "InvalidAuthenticationToken")

    def test_api_version_checks(self):
        base = f"/subscriptions/{SUB}{MS}/alerts"
        self.assert_arm_error(self.arm("GET", base), 400, "MissingApiVersionParameter")
        self.assert_arm_error(self.arm("GET", base + "?api-version=latest"), 400, "InvalidApiVersionParameter")
        st, _, body = self.assert_arm_error(self.arm("GET", base + "?api-version=2021-01-01"), 400,
                                            "NoRegisteredProviderFound")
        self.assertIn("2022-01-01", body["error"]["message"])
        # each resource type checks its own versions
        self.assert_arm_error(self.arm("GET", f"/subscriptions/{SUB}{MS}/assessments?{AV_ALERTS}"), 400,
                              "NoRegisteredProviderFound")
        self.assert_arm_error(self.arm("GET", f"/subscriptions/{SUB}{MS}/secureScores?{AV_ASSESS}"), 400,
                              "NoRegisteredProviderFound")

    def test_subscription_not_found_forbidden_and_listing(self):
        tok = self.token()
        self.assert_arm_error(self.arm("GET", f"/subscriptions/{SUB2}{MS}/alerts?{AV_ALERTS}", tok), 404,
                              "SubscriptionNotFound")
        self.call("POST", "/_emu/azure/subscriptions", {"id": SUB2, "display_name": "Locked", "forbidden": True})
        st, _, body = self.assert_arm_error(self.arm("GET", f"/subscriptions/{SUB2}{MS}/alerts?{AV_ALERTS}", tok),
                                            403, "AuthorizationFailed")
        self.assertIn("Microsoft.Security/alerts/read", body["error"]["message"])
        self.assert_arm_error(self.arm("GET", f"/subscriptions/{SUB2}{MS}/secureScores?{AV_SCORE}", tok), 403,
                              "AuthorizationFailed")
        st, _, body = self.arm("GET", "/subscriptions?api-version=2020-01-01", tok)
        self.assertEqual(st, 200)
        self.assertEqual([s["subscriptionId"] for s in body["value"]], [SUB])
        self.assertEqual(body["value"][0]["tenantId"], TENANT)
        self.assertEqual(self.arm("GET", f"/subscriptions/{SUB}?api-version=2020-01-01", tok)[2]["displayName"],
                         "Contoso Production")

    def test_throttling_fault_429(self):
        path = f"/subscriptions/{SUB}{MS}/alerts?{AV_ALERTS}"
        tok = self.token()
        self.call("POST", "/_emu/faults", {"path": "/providers/Microsoft.Security/alerts$", "status": 429,
                                           "headers": {"Retry-After": "7",
                                                       "x-ms-ratelimit-remaining-subscription-reads": "0"}})
        st, headers, body = self.arm("GET", path, tok)
        self.assertEqual(st, 429)
        self.assertEqual(headers["Retry-After"], "7")
        self.assertEqual(headers["x-ms-ratelimit-remaining-subscription-reads"], "0")
        self.assertEqual(body["error"]["code"], "SubscriptionRequestsThrottled")
        st, headers, _ = self.arm("GET", path, tok)
        self.assertEqual(st, 200)
        first = int(headers["x-ms-ratelimit-remaining-subscription-reads"])
        self.assertEqual(int(self.arm("GET", path, tok)[1]["x-ms-ratelimit-remaining-subscription-reads"]), first - 1)
        # a 429 armed without headers still carries Retry-After
        self.call("POST", "/_emu/faults", {"path": "/alerts$", "status": 429})
        st, headers, _ = self.arm("GET", path, tok)
        self.assertEqual((st, headers["Retry-After"]), (429, "1"))
        # a fault on the token endpoint answers in Entra's shape
        self.call("POST", "/_emu/faults", {"path": "/oauth2/v2.0/token$", "status": 503})
        st, _, body = self.token_call()
        self.assertEqual((st, body["error"]), (503, "server_error"))
        self.assertTrue(body["error_description"].startswith("AADSTS"))

    def test_correlation_id_echo_and_request_log(self):
        st, headers, _ = self.arm("GET", f"/subscriptions/{SUB}{MS}/alerts?{AV_ALERTS}",
                                  headers={"x-ms-correlation-request-id": "corr-1"})
        self.assertEqual(headers["x-ms-correlation-request-id"], "corr-1")
        self.assertTrue(headers["x-ms-request-id"])
        log = self.call("GET", "/_emu/requests")[2]["requests"]
        self.assertEqual([r["path"] for r in log], [f"/{TENANT}/oauth2/v2.0/token", f"/subscriptions/{SUB}{MS}/alerts"])

    def test_unknown_route_is_arm_shaped(self):
        self.assert_arm_error(self.arm("GET", f"/subscriptions/{SUB}{MS}/nothing?{AV_ALERTS}"), 404, "NotFound")


class AlertTests(AzureTestCase):
    def test_seed_fills_spec_shape(self):
        a = self.seed_alert(location="westeurope", resource_group="myRg1")
        self.assertEqual(a["type"], "Microsoft.Security/Locations/alerts")
        self.assertEqual(a["id"], f"/subscriptions/{SUB}/resourceGroups/myRg1/providers/Microsoft.Security/"
                                  f"locations/westeurope/alerts/{a['name']}")
        self.assertRegex(a["name"], r"^\d{19}_[0-9A-F-]{36}$")
        p = a["properties"]
        for key in ("version", "alertType", "systemAlertId", "productComponentName", "alertDisplayName",
                    "description", "severity", "intent", "startTimeUtc", "endTimeUtc", "resourceIdentifiers",
                    "remediationSteps", "vendorName", "status", "extendedLinks", "alertUri", "timeGeneratedUtc",
                    "productName", "processingEndTimeUtc", "entities", "isIncident", "correlationKey",
                    "extendedProperties", "compromisedEntity", "techniques", "subTechniques"):
            self.assertIn(key, p)
        self.assertEqual((p["alertType"], p["status"], p["compromisedEntity"]), ("VM_EICAR", "Active", "vm1"))
        self.assertRegex(p["timeGeneratedUtc"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")
        self.assertEqual(p["resourceIdentifiers"][0]["type"], "AzureResource")
        # generated shortly after the activity started
        c = self.seed_alert(startTimeUtc="2024-03-01T08:00:00.1234567Z")["properties"]
        self.assertEqual((c["startTimeUtc"], c["timeGeneratedUtc"]),
                         ("2024-03-01T08:00:00.1234567Z", "2024-03-01T08:02:00.1234560Z"))
        # partial overrides are kept, bad enums refused
        b = self.seed_alert(severity="Low", alertDisplayName="x", properties={"intent": "Discovery"})
        self.assertEqual((b["properties"]["severity"], b["properties"]["alertDisplayName"],
                          b["properties"]["intent"]), ("Low", "x", "Discovery"))
        self.assertEqual(self.call("POST", "/_emu/azure/alerts", {"alert": {"severity": "Critical"}})[0], 400)
        self.assertEqual(self.call("POST", "/_emu/azure/alerts", {"subscription": SUB2, "alert": {}})[0], 400)

    def test_list_and_get_variants(self):
        a = self.seed_alert(resource_group="rgA", location="westeurope",
                            timeGeneratedUtc="2024-05-01T10:00:00.0000000Z", startTimeUtc="2024-05-01T09:58:00Z")
        b = self.seed_alert(resource_group="rgB", location="eastus",
                            timeGeneratedUtc="2024-05-02T10:00:00.0000000Z", startTimeUtc="2024-05-02T09:58:00Z")
        tok = self.token()
        names = lambda path: [x["name"] for x in self.arm("GET", path + f"?{AV_ALERTS}", tok)[2]["value"]]
        self.assertEqual(names(f"/subscriptions/{SUB}{MS}/alerts"), [b["name"], a["name"]])   # newest first
        self.assertEqual(names(f"/subscriptions/{SUB}/resourceGroups/rgA{MS}/alerts"), [a["name"]])
        self.assertEqual(names(f"/subscriptions/{SUB}{MS}/locations/eastus/alerts"), [b["name"]])
        self.assertEqual(names(f"/subscriptions/{SUB}/resourceGroups/rgB{MS}/locations/westeurope/alerts"), [])
        st, _, got = self.arm("GET", f"/subscriptions/{SUB}{MS}/locations/westeurope/alerts/{a['name']}?{AV_ALERTS}", tok)
        self.assertEqual((st, got), (200, a))
        st, _, got = self.arm("GET", f"/subscriptions/{SUB}/resourceGroups/rgA{MS}/locations/westeurope/alerts/"
                                     f"{a['name']}?{AV_ALERTS}", tok)
        self.assertEqual((st, got), (200, a))
        self.assert_arm_error(self.arm("GET", f"/subscriptions/{SUB}/resourceGroups/rgB{MS}/locations/westeurope/"
                                              f"alerts/{a['name']}?{AV_ALERTS}", tok), 404, "NotFound")
        self.assert_arm_error(self.arm("GET", f"/subscriptions/{SUB}{MS}/locations/eastus/alerts/{a['name']}"
                                              f"?{AV_ALERTS}", tok), 404, "NotFound")

    def test_state_actions_204(self):
        a = self.seed_alert(resource_group="myRg1")
        tok = self.token()
        get = f"/subscriptions/{SUB}{MS}/locations/westeurope/alerts/{a['name']}?{AV_ALERTS}"
        for action, expected in (("dismiss", "Dismissed"), ("activate", "Active"), ("inProgress", "InProgress"),
                                 ("resolve", "Resolved")):
            st, headers, body = self.arm("POST", f"/subscriptions/{SUB}{MS}/locations/westeurope/alerts/"
                                                 f"{a['name']}/{action}?{AV_ALERTS}", tok)
            self.assertEqual((st, body), (204, None), action)
            self.assertIn("x-ms-ratelimit-remaining-subscription-writes", headers)
            self.assertEqual(self.arm("GET", get, tok)[2]["properties"]["status"], expected)
        # resource-group form
        st, _, _ = self.arm("POST", f"/subscriptions/{SUB}/resourceGroups/myRg1{MS}/locations/westeurope/alerts/"
                                    f"{a['name']}/activate?{AV_ALERTS}", tok)
        self.assertEqual(st, 204)
        self.assertEqual(self.call("GET", "/_emu/azure/alerts")[2]["alerts"][0]["properties"]["status"], "Active")
        # unknown alert, unknown action, wrong method, missing api-version
        self.assert_arm_error(self.arm("POST", f"/subscriptions/{SUB}{MS}/locations/westeurope/alerts/nope/resolve"
                                               f"?{AV_ALERTS}", tok), 404, "NotFound")
        self.assertEqual(self.arm("POST", f"/subscriptions/{SUB}{MS}/locations/westeurope/alerts/{a['name']}/close"
                                          f"?{AV_ALERTS}", tok)[0], 404)
        self.assertEqual(self.arm("GET", f"/subscriptions/{SUB}{MS}/locations/westeurope/alerts/{a['name']}/resolve"
                                         f"?{AV_ALERTS}", tok)[0], 405)
        self.assert_arm_error(self.arm("POST", f"/subscriptions/{SUB}{MS}/locations/westeurope/alerts/{a['name']}"
                                               "/resolve", tok), 400, "MissingApiVersionParameter")
        self.assertEqual(self.arm("GET", get, tok)[2]["properties"]["status"], "Active")

    def test_change_by_another_client(self):
        a = self.seed_alert()
        st, _, body = self.call("POST", f"/_emu/azure/alerts/{a['name']}/status", {"status": "Resolved"})
        self.assertEqual((st, body["properties"]["status"]), (200, "Resolved"))
        got = self.arm("GET", f"/subscriptions/{SUB}{MS}/alerts?{AV_ALERTS}")[2]["value"][0]
        self.assertEqual(got["properties"]["status"], "Resolved")
        self.assertEqual(self.call("POST", f"/_emu/azure/alerts/{a['name']}/status", {"status": "Closed"})[0], 400)

    def test_paging_across_pages_preserves_params(self):
        self.call("POST", "/_emu/azure/page-size", {"size": 2})
        seeded = {self.seed_alert()["name"] for _ in range(5)}
        tok = self.token()
        url = f"/subscriptions/{SUB}{MS}/alerts?{AV_ALERTS}&foo=bar"
        seen, pages = [], 0
        while url:
            st, _, body = self.arm("GET", url, tok)
            self.assertEqual(st, 200, body)
            pages += 1
            self.assertLessEqual(len(body["value"]), 2)
            seen += [x["name"] for x in body["value"]]
            nxt = body.get("nextLink")
            if nxt:
                self.assertTrue(nxt.startswith(self.endpoint + f"/subscriptions/{SUB}{MS}/alerts?"), nxt)
                q = urllib.parse.parse_qs(urllib.parse.urlsplit(nxt).query)
                self.assertEqual(q["api-version"], ["2022-01-01"])
                self.assertEqual(q["foo"], ["bar"])
                self.assertEqual(len(q["$skipToken"]), 1)
                url = nxt[len(self.endpoint):]
            else:
                url = None
        self.assertEqual(pages, 3)
        self.assertEqual(len(seen), 5)
        self.assertEqual(set(seen), seeded)
        self.assert_arm_error(self.arm("GET", f"/subscriptions/{SUB}{MS}/alerts?{AV_ALERTS}&$skipToken=%%%", tok),
                              400, "InvalidSkipToken")


class AssessmentTests(AzureTestCase):
    def test_list_with_and_without_expand(self):
        s1, s2 = storage("st1"), storage("st2", rg="rg-other")
        self.seed_assessment(s1, SECURE_TRANSFER, "Healthy")
        self.seed_assessment(s2, SECURE_TRANSFER, {"code": "NotApplicable", "cause": "OffByPolicy",
                                                   "description": "The effective policy was evaluated to off"},
                             additional_data={"linkedWorkspaceId": "/subscriptions/x/ws"})
        tok = self.token()
        base = f"/subscriptions/{SUB}{MS}/assessments?{AV_ASSESS}"
        st, _, body = self.arm("GET", base, tok)
        self.assertEqual(st, 200)
        self.assertEqual(len(body["value"]), 2)
        a = body["value"][0]
        self.assertEqual(a["id"], f"{s1}/providers/Microsoft.Security/assessments/{SECURE_TRANSFER}")
        self.assertEqual((a["name"], a["type"]), (SECURE_TRANSFER, "Microsoft.Security/assessments"))
        p = a["properties"]
        self.assertEqual(p["resourceDetails"], {"source": "Azure", "id": s1})
        self.assertEqual(p["displayName"], "Secure transfer to storage accounts should be enabled")
        self.assertEqual(p["status"]["code"], "Healthy")
        self.assertIn("firstEvaluationDate", p["status"])
        self.assertNotIn("metadata", p)
        self.assertNotIn("links", p)
        na = body["value"][1]["properties"]
        self.assertEqual((na["status"]["code"], na["status"]["cause"]), ("NotApplicable", "OffByPolicy"))
        self.assertEqual(na["additionalData"], {"linkedWorkspaceId": "/subscriptions/x/ws"})
        p = self.arm("GET", base + "&$expand=metadata", tok)[2]["value"][0]["properties"]
        self.assertNotIn("links", p)
        m = p["metadata"]
        self.assertEqual((m["severity"], m["assessmentType"], m["categories"]), ("High", "BuiltIn", ["Data"]))
        for k in ("displayName", "description", "remediationDescription", "userImpact", "implementationEffort",
                  "threats", "policyDefinitionId"):
            self.assertIn(k, m)
        p = self.arm("GET", base + "&$expand=links", tok)[2]["value"][0]["properties"]
        self.assertNotIn("metadata", p)
        self.assertTrue(p["links"]["azurePortalUri"].endswith(f"/assessmentKey/{SECURE_TRANSFER}"))
        p = self.arm("GET", base + "&$expand=links,metadata", tok)[2]["value"][0]["properties"]
        self.assertIn("links", p)
        self.assertIn("metadata", p)
        # resource-group scope
        body = self.arm("GET", f"/subscriptions/{SUB}/resourceGroups/rg-other{MS}/assessments?{AV_ASSESS}", tok)[2]
        self.assertEqual([x["properties"]["resourceDetails"]["id"] for x in body["value"]], [s2])

    def test_get_by_resource_id(self):
        s1 = storage("st1")
        self.seed_assessment(s1, SECURE_TRANSFER, "Unhealthy")
        tok = self.token()
        st, _, body = self.arm("GET", f"{s1}{MS}/assessments/{SECURE_TRANSFER}?{AV_ASSESS}&$expand=metadata", tok)
        self.assertEqual(st, 200, body)
        self.assertEqual(body["properties"]["status"]["code"], "Unhealthy")
        self.assertEqual(body["properties"]["metadata"]["severity"], "High")
        self.assert_arm_error(self.arm("GET", f"{s1}{MS}/assessments/{SQL_TDE}?{AV_ASSESS}", tok), 404, "NotFound")
        self.assert_arm_error(self.arm("GET", f"{storage('st1', sub=SUB2)}{MS}/assessments/{SECURE_TRANSFER}"
                                              f"?{AV_ASSESS}", tok), 404, "SubscriptionNotFound")

    def test_status_change_dates_and_custom_metadata(self):
        s1 = storage("st1")
        first = self.seed_assessment(s1, SECURE_TRANSFER, "Unhealthy")["properties"]["status"]
        time.sleep(0.01)
        second = self.seed_assessment(s1, SECURE_TRANSFER, "Healthy")["properties"]["status"]
        self.assertEqual(second["firstEvaluationDate"], first["firstEvaluationDate"])
        self.assertGreater(second["statusChangeDate"], first["statusChangeDate"])
        self.assertEqual(self.call("POST", "/_emu/azure/assessments",
                                   {"resource_id": s1, "name": "11111111-aaaa-bbbb-cccc-000000000001",
                                    "status": "Healthy"})[0], 400)
        c = self.seed_assessment(s1, "11111111-aaaa-bbbb-cccc-000000000001", "Unhealthy",
                                 metadata={"displayName": "Tag storage accounts", "severity": "Low"})
        self.assertEqual(c["properties"]["metadata"]["assessmentType"], "CustomerManaged")
        self.assertEqual(c["properties"]["displayName"], "Tag storage accounts")
        body = self.arm("GET", f"/subscriptions/{SUB}{MS}/assessmentMetadata?{AV_ASSESS}")[2]
        ids = {m["name"]: m["id"] for m in body["value"]}
        self.assertEqual(ids["11111111-aaaa-bbbb-cccc-000000000001"], f"/subscriptions/{SUB}/providers/"
                         "Microsoft.Security/assessmentMetadata/11111111-aaaa-bbbb-cccc-000000000001")
        self.assertEqual(ids[VMSS_EP], f"/providers/Microsoft.Security/assessmentMetadata/{VMSS_EP}")
        st, _, m = self.arm("GET", f"{MS}/assessmentMetadata/{VMSS_EP}?{AV_ASSESS}")
        self.assertEqual((st, m["type"], m["properties"]["displayName"]),
                         (200, "Microsoft.Security/assessmentMetadata",
                          "Install endpoint protection solution on virtual machine scale sets"))


class SecureScoreTests(AzureTestCase):
    def seed_scenario(self):
        sub = f"/subscriptions/{SUB}"
        # Enable MFA (max 10): the subscription has one Unhealthy and one Healthy MFA assessment -> unhealthy
        self.seed_assessment(sub, MFA_OWNER, "Unhealthy")
        self.seed_assessment(sub, MFA_WRITE, "Healthy")
        # Encrypt data in transit (max 4): 2 healthy, 1 unhealthy, 1 not applicable storage accounts
        self.seed_assessment(storage("a"), SECURE_TRANSFER, "Healthy")
        self.seed_assessment(storage("b"), SECURE_TRANSFER, "Healthy")
        self.seed_assessment(storage("c"), SECURE_TRANSFER, "Unhealthy")
        self.seed_assessment(storage("d"), SECURE_TRANSFER, "NotApplicable")
        # Enable encryption at rest (max 4): 1 healthy database
        db = f"/subscriptions/{SUB}/resourceGroups/rg-data/providers/Microsoft.Sql/servers/s1/databases/db1"
        self.seed_assessment(db, SQL_TDE, "Healthy")
        # Enable endpoint protection (max 2): only not applicable -> max 0
        self.seed_assessment(f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Compute/"
                             "virtualMachineScaleSets/vmss2", VMSS_EP, "NotApplicable")
        # another subscription must not leak in
        self.call("POST", "/_emu/azure/subscriptions", {"id": SUB2})
        self.seed_assessment(storage("z", sub=SUB2), SECURE_TRANSFER, "Unhealthy")

    def test_controls_computed(self):
        self.seed_scenario()
        st, _, body = self.arm("GET", f"/subscriptions/{SUB}{MS}/secureScoreControls?{AV_SCORE}")
        self.assertEqual(st, 200)
        controls = {c["name"]: c for c in body["value"]}
        self.assertEqual(len(controls), 12)
        c = controls[CTRL_TRANSIT]
        self.assertEqual(c["id"], f"/subscriptions/{SUB}/providers/Microsoft.Security/secureScores/ascScore/"
                                  f"secureScoreControls/{CTRL_TRANSIT}")
        self.assertEqual(c["type"], "Microsoft.Security/secureScores/secureScoreControls")
        p = c["properties"]
        self.assertEqual((p["displayName"], p["healthyResourceCount"], p["unhealthyResourceCount"],
                          p["notApplicableResourceCount"], p["weight"]), ("Encrypt data in transit", 2, 1, 1, 3))
        self.assertEqual(p["score"], {"max": 4, "current": 2.67, "percentage": 0.6675})  # 4*2/3, 2.67/4
        self.assertNotIn("definition", p)
        p = controls[CTRL_MFA]["properties"]
        self.assertEqual((p["healthyResourceCount"], p["unhealthyResourceCount"]), (0, 1))
        self.assertEqual(p["score"], {"max": 10, "current": 0, "percentage": 0})
        self.assertEqual(controls[CTRL_REST]["properties"]["score"], {"max": 4, "current": 4, "percentage": 1})
        p = controls[CTRL_EP]["properties"]
        self.assertEqual((p["notApplicableResourceCount"], p["score"]["max"], p["weight"]), (1, 0, 0))
        # the ascScore-scoped list is the same, and $expand=definition adds the definition
        body2 = self.arm("GET", f"/subscriptions/{SUB}{MS}/secureScores/ascScore/secureScoreControls?{AV_SCORE}"
                                "&$expand=definition")[2]
        d = {c["name"]: c for c in body2["value"]}[CTRL_TRANSIT]["properties"]["definition"]
        self.assertEqual((d["type"], d["properties"]["maxScore"], d["properties"]["source"]),
                         ("Microsoft.Security/secureScoreControlDefinitions", 4, {"sourceType": "BuiltIn"}))
        self.assertIn({"id": f"/providers/Microsoft.Security/assessmentMetadata/{SECURE_TRANSFER}"},
                      d["properties"]["assessmentDefinitions"])
        self.assertEqual({c["name"]: c["properties"]["score"] for c in body2["value"]},
                         {c["name"]: c["properties"]["score"] for c in body["value"]})

    def test_subscription_score_computed(self):
        self.seed_scenario()
        st, _, body = self.arm("GET", f"/subscriptions/{SUB}{MS}/secureScores?{AV_SCORE}")
        self.assertEqual(st, 200)
        self.assertEqual(len(body["value"]), 1)
        s = body["value"][0]
        self.assertEqual((s["id"], s["name"], s["type"]),
                         (f"/subscriptions/{SUB}/providers/Microsoft.Security/secureScores/ascScore", "ascScore",
                          "Microsoft.Security/secureScores"))
        # max = 10 (MFA) + 4 (transit) + 4 (at rest); current = 0 + 2.67 + 4 = 6.67; 6.67/18 = 0.3706
        self.assertEqual(s["properties"]["score"], {"max": 18, "current": 6.67, "percentage": 0.3706})
        self.assertEqual(s["properties"]["displayName"], "ASC score")
        self.assertEqual(s["properties"]["weight"], 5)   # subscription, storage a/b/c, db1
        self.assertEqual(self.arm("GET", f"/subscriptions/{SUB}{MS}/secureScores/ascScore?{AV_SCORE}")[2], s)
        self.assert_arm_error(self.arm("GET", f"/subscriptions/{SUB}{MS}/secureScores/other?{AV_SCORE}"), 404,
                              "NotFound")
        # fixing the unhealthy storage account moves the numbers: transit 4/4, total 8/18
        self.seed_assessment(storage("c"), SECURE_TRANSFER, "Healthy")
        s = self.arm("GET", f"/subscriptions/{SUB}{MS}/secureScores/ascScore?{AV_SCORE}")[2]
        self.assertEqual(s["properties"]["score"], {"max": 18, "current": 8, "percentage": 0.4444})
        # the other subscription only sees its own: transit 0/1 -> 0 of 4
        s2 = self.arm("GET", f"/subscriptions/{SUB2}{MS}/secureScores/ascScore?{AV_SCORE}")[2]
        self.assertEqual(s2["properties"]["score"], {"max": 4, "current": 0, "percentage": 0})

    def test_empty_subscription_and_definitions(self):
        s = self.arm("GET", f"/subscriptions/{SUB}{MS}/secureScores/ascScore?{AV_SCORE}")[2]
        self.assertEqual(s["properties"]["score"], {"max": 0, "current": 0, "percentage": 0})
        body = self.arm("GET", f"{MS}/secureScoreControlDefinitions?{AV_SCORE}")[2]
        self.assertEqual(len(body["value"]), 12)
        self.assertEqual(sum(d["properties"]["maxScore"] for d in body["value"]), 41)  # 2+10+1+4+4+2+6+4+4+4


class DemoSeedTests(AzureTestCase):
    extra_args = ["--seed", "demo"]

    def test_demo_data_survives_reset_and_is_consistent(self):
        # setUp already called /_emu/reset: the demo seed must be back
        tok = self.token()
        subs = [s["subscriptionId"] for s in self.arm("GET", "/subscriptions?api-version=2022-12-01", tok)[2]["value"]]
        self.assertEqual(sorted(subs), sorted([SUB, SUB2]))
        for sub in (SUB, SUB2):
            alerts = self.arm("GET", f"/subscriptions/{sub}{MS}/alerts?{AV_ALERTS}", tok)[2]["value"]
            self.assertGreaterEqual(len(alerts), 2)
            assessments = self.arm("GET", f"/subscriptions/{sub}{MS}/assessments?{AV_ASSESS}", tok)[2]["value"]
            self.assertGreaterEqual(len(assessments), 3)
            controls = self.arm("GET", f"/subscriptions/{sub}{MS}/secureScoreControls?{AV_SCORE}", tok)[2]["value"]
            score = self.arm("GET", f"/subscriptions/{sub}{MS}/secureScores/ascScore?{AV_SCORE}", tok)[2]
            total = score["properties"]["score"]
            self.assertEqual(total["max"], sum(c["properties"]["score"]["max"] for c in controls))
            self.assertAlmostEqual(total["current"], sum(c["properties"]["score"]["current"] for c in controls),
                                   places=2)
            self.assertGreater(total["max"], 0)
            self.assertTrue(0 < total["percentage"] < 1, total)
        types = {a["properties"]["alertType"] for a in
                 self.arm("GET", f"/subscriptions/{SUB}{MS}/alerts?{AV_ALERTS}", tok)[2]["value"]}
        self.assertIn("VM_EICAR", types)
        codes = {a["properties"]["status"]["code"] for a in
                 self.arm("GET", f"/subscriptions/{SUB}{MS}/assessments?{AV_ASSESS}", tok)[2]["value"]}
        self.assertEqual(codes, {"Healthy", "Unhealthy", "NotApplicable"})
