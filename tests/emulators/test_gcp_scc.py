"""Tests of the Security Command Center v2 emulator (gcp_scc.py), through raw HTTP only."""

from __future__ import annotations

import base64
import json
import time
import urllib.parse

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from emu_case import EmulatorTestCase

CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ORG = "organizations/123456789012"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(private_key_pem: str, claims: dict, kid: str | None = None) -> str:
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    header = {"alg": "RS256", "typ": "JWT"}
    if kid:
        header["kid"] = kid
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return signing_input + "." + b64url(sig)


class GcpTestCase(EmulatorTestCase):
    script = "gcp_scc.py"

    # ---- helpers ---------------------------------------------------------------------------------
    def service_account(self, **body) -> dict:
        status, _, key = self.call("POST", "/_emu/gcp/service-accounts", body)
        self.assertEqual(status, 200, key)
        return key

    def assertion(self, key: dict, scope: str | None = CLOUD_PLATFORM, aud: str | None = None,
                  iat: int | None = None, lifetime: int = 3600, **extra) -> str:
        iat = int(time.time()) if iat is None else iat
        claims = {"iss": key["client_email"], "aud": aud or key["token_uri"], "iat": iat, "exp": iat + lifetime}
        if scope is not None:
            claims["scope"] = scope
        claims.update(extra)
        return make_jwt(key["private_key"], claims, kid=key["private_key_id"])

    def grant(self, assertion: str):
        return self.call("POST", "/token", form={"grant_type": JWT_BEARER, "assertion": assertion})

    def token(self, key: dict | None = None) -> str:
        key = key or self.service_account()
        status, _, body = self.grant(self.assertion(key))
        self.assertEqual(status, 200, body)
        return body["access_token"]

    def api(self, method: str, path: str, token: str | None, body=None, headers: dict | None = None):
        hdrs = dict(headers or {})
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        return self.call(method, path, body, headers=hdrs)

    def list(self, parent: str, token: str, **params):
        query = urllib.parse.urlencode(params)
        return self.api("GET", f"/v2/{parent}/findings" + (f"?{query}" if query else ""), token)

    def names(self, parent: str, token: str, **params) -> list[str]:
        status, _, body = self.list(parent, token, **params)
        self.assertEqual(status, 200, body)
        return [r["finding"]["name"] for r in body.get("listFindingsResults", [])]

    def seed(self, **body) -> dict:
        status, _, out = self.call("POST", "/_emu/gcp/findings", body)
        self.assertEqual(status, 200, out)
        return out

    def assertGoogleError(self, resp, status: int, code: str, contains: str = "") -> dict:
        st, _, body = resp
        self.assertEqual(st, status, body)
        self.assertEqual(body["error"]["code"], status)
        self.assertEqual(body["error"]["status"], code)
        self.assertIn(contains, body["error"]["message"])
        return body["error"]


class TokenTests(GcpTestCase):
    def test_service_account_key_json_is_complete(self):
        key = self.service_account(email="reader@hubble-prod.iam.gserviceaccount.com", project_id="hubble-prod")
        for field in ("type", "project_id", "private_key_id", "private_key", "client_email", "client_id",
                      "auth_uri", "token_uri", "auth_provider_x509_cert_url", "client_x509_cert_url"):
            self.assertTrue(key.get(field), field)
        self.assertEqual(key["type"], "service_account")
        self.assertEqual(key["token_uri"], self.endpoint + "/token")
        self.assertEqual(key["client_email"], "reader@hubble-prod.iam.gserviceaccount.com")
        pk = serialization.load_pem_private_key(key["private_key"].encode(), password=None)
        self.assertIsInstance(pk, rsa.RSAPrivateKey)
        self.assertEqual(pk.key_size, 2048)

    def test_jwt_bearer_grant_gives_working_token(self):
        key = self.service_account()
        status, headers, body = self.grant(self.assertion(key))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["expires_in"], 3599)
        self.assertTrue(body["access_token"].startswith("ya29."))
        self.assertEqual(self.list(f"{ORG}/sources/-", body["access_token"])[0], 200)

    def test_google_token_audience_accepted_and_other_audience_rejected(self):
        key = self.service_account()
        self.assertEqual(self.grant(self.assertion(key, aud="https://oauth2.googleapis.com/token"))[0], 200)
        status, _, body = self.grant(self.assertion(key, aud="https://example.com/token"))
        self.assertEqual((status, body["error"]), (400, "invalid_grant"))
        self.assertIn("audience", body["error_description"])

    def test_bad_signature_rejected(self):
        key = self.service_account()
        other = self.service_account()
        forged = make_jwt(other["private_key"], {"iss": key["client_email"], "aud": key["token_uri"],
                                                 "scope": CLOUD_PLATFORM, "iat": int(time.time()),
                                                 "exp": int(time.time()) + 600})
        status, _, body = self.grant(forged)
        self.assertEqual(status, 400)
        self.assertEqual(body, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        good = self.assertion(key)
        tampered = good[:-6] + ("AAAAAA" if not good.endswith("AAAAAA") else "BBBBBB")
        self.assertEqual(self.grant(tampered)[2]["error"], "invalid_grant")

    def test_jwt_time_checks(self):
        key = self.service_account()
        now = int(time.time())
        for iat, life in ((now, 7200), (now - 7200, 3600), (now + 3600, 600)):
            status, _, body = self.grant(self.assertion(key, iat=iat, lifetime=life))
            self.assertEqual((status, body["error"]), (400, "invalid_grant"), (iat, life))
            self.assertIn("short-lived", body["error_description"])

    def test_unknown_account_missing_scope_and_bad_grant_type(self):
        key = self.service_account()
        bogus = dict(key, client_email="nobody@x.iam.gserviceaccount.com")
        self.assertEqual(self.grant(self.assertion(bogus))[2],
                         {"error": "invalid_grant", "error_description": "Invalid grant: account not found"})
        status, _, body = self.grant(self.assertion(key, scope=None))
        self.assertEqual((status, body["error"]), (400, "invalid_scope"))
        status, _, body = self.call("POST", "/token", form={"grant_type": "password"})
        self.assertEqual((status, body["error"]), (400, "unsupported_grant_type"))
        status, _, body = self.grant("not.a.jwt")
        self.assertEqual((status, body["error"]), (400, "invalid_grant"))

    def test_token_without_cloud_platform_scope_is_403_at_the_api(self):
        key = self.service_account()
        status, _, body = self.grant(self.assertion(key, scope="https://www.googleapis.com/auth/devstorage.read_only"))
        self.assertEqual(status, 200)
        err = self.assertGoogleError(self.list(f"{ORG}/sources/-", body["access_token"]), 403,
                                     "PERMISSION_DENIED", "insufficient authentication scopes")
        self.assertEqual(err["details"][0]["reason"], "ACCESS_TOKEN_SCOPE_INSUFFICIENT")

    def test_self_signed_jwt_as_access_token(self):
        key = self.service_account()
        jwt = self.assertion(key, scope=None, aud="https://securitycenter.googleapis.com/",
                             sub=key["client_email"])
        self.assertEqual(self.list(f"{ORG}/sources/-", jwt)[0], 200)
        scoped = self.assertion(key, scope=CLOUD_PLATFORM, aud=None)  # aud = token_uri, but scope given
        self.assertEqual(self.list(f"{ORG}/sources/-", scoped)[0], 200)
        other = self.service_account()
        forged = make_jwt(other["private_key"], {"iss": key["client_email"], "sub": key["client_email"],
                                                 "aud": "https://securitycenter.googleapis.com/",
                                                 "iat": int(time.time()), "exp": int(time.time()) + 600})
        self.assertGoogleError(self.list(f"{ORG}/sources/-", forged), 401, "UNAUTHENTICATED")

    def test_refresh_token_grant(self):
        status, _, user = self.call("POST", "/_emu/gcp/authorized-users", {"email": "analyst@acme.example"})
        self.assertEqual(status, 200)
        self.assertEqual(user["type"], "authorized_user")
        form = {"grant_type": "refresh_token", "client_id": user["client_id"],
                "client_secret": user["client_secret"], "refresh_token": user["refresh_token"]}
        status, _, body = self.call("POST", "/token", form=form)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["token_type"], "Bearer")
        self.assertIn(CLOUD_PLATFORM, body["scope"].split())
        self.assertEqual(self.list(f"{ORG}/sources/-", body["access_token"])[0], 200)
        status, _, body = self.call("POST", "/token", form=dict(form, client_secret="wrong"))
        self.assertEqual((status, body["error"]), (401, "unauthorized_client"))
        status, _, body = self.call("POST", "/token", form=dict(form, refresh_token="1//nope"))
        self.assertEqual((status, body["error"]), (400, "invalid_grant"))
        status, _, body = self.call("POST", "/token", form=dict(form, client_id="unknown.apps.googleusercontent.com"))
        self.assertEqual((status, body["error"]), (401, "invalid_client"))

    def test_metadata_server(self):
        path = "/computeMetadata/v1/instance/service-accounts/default/token"
        status, headers, _ = self.call("GET", path)
        self.assertEqual(status, 403)
        flavor = {"Metadata-Flavor": "Google"}
        status, headers, body = self.call("GET", path, headers=flavor)
        self.assertEqual(status, 200, body)
        self.assertEqual(headers.get("Metadata-Flavor"), "Google")
        self.assertEqual(body["token_type"], "Bearer")
        self.assertGreater(body["expires_in"], 0)
        self.assertEqual(self.list(f"{ORG}/sources/-", body["access_token"])[0], 200)
        self.call("POST", "/_emu/gcp/metadata", {"email": "vm-sa@acme-web-prod.iam.gserviceaccount.com",
                                                 "project_id": "acme-web-prod"})
        self.assertEqual(self.call("GET", "/computeMetadata/v1/project/project-id", headers=flavor)[2],
                         "acme-web-prod")
        self.assertEqual(self.call("GET", "/computeMetadata/v1/instance/service-accounts/default/email",
                                   headers=flavor)[2], "vm-sa@acme-web-prod.iam.gserviceaccount.com")
        self.assertEqual(self.call("GET", "/", headers=flavor)[1].get("Metadata-Flavor"), "Google")

    def test_sts_exchange_and_impersonation(self):
        sa = self.service_account(email="scc-reader@acme-sec.iam.gserviceaccount.com")
        status, _, ext = self.call("POST", "/_emu/gcp/external-accounts", {"impersonate": sa["client_email"]})
        self.assertEqual(status, 200)
        creds = ext["credentials"]
        self.assertEqual(creds["type"], "external_account")
        self.assertEqual(creds["token_url"], self.endpoint + "/v1/token")
        src = creds["credential_source"]["url"]
        self.assertEqual(self.call("GET", src[len(self.endpoint):])[2], ext["subject_token"])
        form = {"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "audience": creds["audience"],
                "scope": CLOUD_PLATFORM, "requested_token_type": "urn:ietf:params:oauth:token-type:access_token",
                "subject_token": ext["subject_token"], "subject_token_type": creds["subject_token_type"]}
        status, _, body = self.call("POST", "/v1/token", form=form)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["issued_token_type"], "urn:ietf:params:oauth:token-type:access_token")
        sts_token = body["access_token"]
        self.assertEqual(self.list(f"{ORG}/sources/-", sts_token)[0], 200)
        status, _, bad = self.call("POST", "/v1/token", form=dict(form, subject_token="forged"))
        self.assertEqual((status, bad["error"]), (400, "invalid_grant"))
        imp_path = creds["service_account_impersonation_url"][len(self.endpoint):]
        status, _, imp = self.api("POST", imp_path, sts_token, {"scope": [CLOUD_PLATFORM], "lifetime": "3600s"})
        self.assertEqual(status, 200, imp)
        self.assertIn("expireTime", imp)
        self.call("POST", "/_emu/gcp/deny", {"email": sa["client_email"], "parent": ORG})
        self.assertEqual(self.list(f"{ORG}/sources/-", imp["accessToken"])[0], 403)  # acts as the SA
        other = self.service_account()
        self.assertEqual(self.api("POST", f"/v1/projects/-/serviceAccounts/{other['client_email']}"
                                          ":generateAccessToken", sts_token, {"scope": [CLOUD_PLATFORM]})[0], 403)

    def test_missing_and_unknown_token_are_401(self):
        err = self.assertGoogleError(self.list(f"{ORG}/sources/-", None), 401, "UNAUTHENTICATED",
                                     "missing required authentication credential")
        self.assertEqual(err["details"][0]["reason"], "CREDENTIALS_MISSING")
        st, headers, _ = self.list(f"{ORG}/sources/-", "ya29.bogus")
        self.assertEqual(st, 401)
        self.assertIn("Bearer", headers.get("WWW-Authenticate", ""))

    def test_expire_tokens_then_new_token_works(self):
        key = self.service_account()
        tok = self.token(key)
        self.assertEqual(self.list(f"{ORG}/sources/-", tok)[0], 200)
        self.call("POST", "/_emu/gcp/expire-tokens")
        err = self.assertGoogleError(self.list(f"{ORG}/sources/-", tok), 401, "UNAUTHENTICATED",
                                     "Request had invalid authentication credentials")
        self.assertEqual(err["details"][0]["reason"], "ACCESS_TOKEN_EXPIRED")
        self.assertEqual(self.list(f"{ORG}/sources/-", self.token(key))[0], 200)

    def test_token_lifetime(self):
        self.call("POST", "/_emu/gcp/token-lifetime", {"seconds": 1})
        key = self.service_account()
        status, _, body = self.grant(self.assertion(key))
        self.assertEqual(body["expires_in"], 1)
        self.assertEqual(self.list(f"{ORG}/sources/-", body["access_token"])[0], 200)
        time.sleep(1.1)
        self.assertEqual(self.list(f"{ORG}/sources/-", body["access_token"])[0], 401)


class ListTests(GcpTestCase):
    def setUp(self):
        super().setUp()
        self.tok = self.token()

    def test_result_shape_follows_the_proto(self):
        out = self.seed(project="acme-web-prod", folders=[{"id": "77", "displayName": "Prod"}],
                        finding={"category": "PUBLIC_BUCKET_ACL"},
                        resource={"name": "//storage.googleapis.com/acme-assets"})
        status, _, body = self.list(f"{ORG}/sources/-/locations/global", self.tok)
        self.assertEqual(status, 200)
        self.assertEqual(body["totalSize"], 1)
        self.assertNotIn("nextPageToken", body)
        res = body["listFindingsResults"][0]
        f, r = res["finding"], res["resource"]
        self.assertEqual(f, out["finding"])
        self.assertRegex(f["name"], r"^organizations/123456789012/sources/\d+/locations/global/findings/\w+$")
        self.assertRegex(f["canonicalName"], r"^projects/\d+/sources/\d+/locations/global/findings/\w+$")
        self.assertEqual(f["parent"], f["name"].rsplit("/findings/", 1)[0])
        self.assertEqual((f["state"], f["severity"], f["mute"], f["findingClass"]),
                         ("ACTIVE", "HIGH", "UNDEFINED", "MISCONFIGURATION"))
        self.assertEqual(f["resourceName"], "//storage.googleapis.com/acme-assets")
        self.assertEqual(f["parentDisplayName"], "Security Health Analytics")
        self.assertIn({"standard": "cis", "version": "2.0", "ids": ["5.1"]}, f["compliances"])
        self.assertRegex(f["eventTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?Z$")
        self.assertNotIn("muteUpdateTime", f)  # never muted: omitted, as proto3 JSON does
        self.assertEqual((r["name"], r["displayName"], r["type"], r["cloudProvider"]),
                         ("//storage.googleapis.com/acme-assets", "acme-assets", "google.cloud.storage.Bucket",
                          "GOOGLE_CLOUD_PLATFORM"))
        gcp = r["gcpMetadata"]
        self.assertEqual(gcp["projectDisplayName"], "acme-web-prod")
        self.assertRegex(gcp["project"], r"^//cloudresourcemanager.googleapis.com/projects/\d+$")
        self.assertEqual(gcp["organization"], ORG)
        self.assertEqual(gcp["folders"], [{"resourceFolder": "//cloudresourcemanager.googleapis.com/folders/77",
                                           "resourceFolderDisplayName": "Prod"}])
        self.assertTrue(r["resourcePathString"].startswith(f"{ORG}/folders/77/projects/"))

    def test_empty_list_is_empty_object(self):
        status, _, body = self.list(f"{ORG}/sources/-", self.tok)
        self.assertEqual((status, body), (200, {}))

    def test_pages_of_two(self):
        seeded = [self.seed(finding={"category": "OPEN_FIREWALL"})["finding"]["name"] for _ in range(5)]
        got, token, pages = [], None, 0
        while True:
            params = {"pageSize": 2}
            if token:
                params["pageToken"] = token
            status, _, body = self.list(f"{ORG}/sources/-", self.tok, **params)
            self.assertEqual(status, 200, body)
            self.assertEqual(body["totalSize"], 5)
            got += [r["finding"]["name"] for r in body["listFindingsResults"]]
            pages += 1
            token = body.get("nextPageToken")
            if not token:
                break
        self.assertEqual((got, pages), (seeded, 3))

    def test_page_size_default_and_1000_cap(self):
        status, _, out = self.call("POST", "/_emu/gcp/findings",
                                   {"findings": [{"finding": {"category": "OPEN_SSH_PORT"}}] * 1005})
        self.assertEqual((status, len(out["findings"])), (200, 1005))
        status, _, body = self.list(f"{ORG}/sources/-", self.tok)
        self.assertEqual((len(body["listFindingsResults"]), body["totalSize"]), (10, 1005))
        status, _, body = self.list(f"{ORG}/sources/-", self.tok, pageSize=5000)
        self.assertEqual(status, 200)
        self.assertEqual(len(body["listFindingsResults"]), 1000)
        status, _, body = self.list(f"{ORG}/sources/-", self.tok, pageSize=5000, pageToken=body["nextPageToken"])
        self.assertEqual((len(body["listFindingsResults"]), body.get("nextPageToken")), (5, None))
        self.call("POST", "/_emu/gcp/config", {"page_size_over_max": "reject"})
        self.assertGoogleError(self.list(f"{ORG}/sources/-", self.tok, pageSize=1001), 400, "INVALID_ARGUMENT")

    def test_bad_page_token_size_and_params(self):
        self.seed()
        self.assertGoogleError(self.list(f"{ORG}/sources/-", self.tok, pageToken="garbage!"), 400,
                               "INVALID_ARGUMENT", "page token")
        for _ in range(3):
            self.seed()
        token = self.list(f"{ORG}/sources/-", self.tok, pageSize=1)[2]["nextPageToken"]
        self.assertGoogleError(self.list(f"{ORG}/sources/-", self.tok, pageToken=token, filter='state="ACTIVE"'),
                               400, "INVALID_ARGUMENT")
        self.assertGoogleError(self.list(f"{ORG}/sources/-", self.tok, pageSize="ten"), 400, "INVALID_ARGUMENT")
        self.assertGoogleError(self.list(f"{ORG}/sources/-", self.tok, pageSize=-1), 400, "INVALID_ARGUMENT")
        self.assertGoogleError(self.list(f"{ORG}/sources/-", self.tok, readTime="x"), 400, "INVALID_ARGUMENT",
                               "Cannot bind query parameter")

    def test_parent_forms_and_sources(self):
        web = self.seed(project="acme-web-prod", project_number="314159265358", folders=["900"],
                        finding={"category": "OPEN_FIREWALL"})["finding"]["name"]
        data = self.seed(project="acme-data-dev", finding={"category": "SQL_PUBLIC_IP"})["finding"]["name"]
        etd = self.seed(project="acme-data-dev", finding={"category": "Persistence: IAM Anomalous Grant"})
        etd_name, etd_source = etd["finding"]["name"], etd["source"]
        org_level = self.seed(finding={"category": "MFA_NOT_ENFORCED"})["finding"]["name"]
        other_org = self.seed(organization="999", project="other-proj")["finding"]["name"]
        eu = self.seed(project="acme-web-prod", location="eu")["finding"]["name"]
        self.assertEqual(self.names(f"{ORG}/sources/-", self.tok), [web, data, etd_name, org_level])
        self.assertEqual(self.names(f"{ORG}/sources/-/locations/global", self.tok), [web, data, etd_name, org_level])
        self.assertEqual(self.names(f"{ORG}/sources/-/locations/eu", self.tok), [eu])
        self.assertEqual(self.names("folders/900/sources/-", self.tok), [web])
        self.assertEqual(self.names("projects/acme-web-prod/sources/-", self.tok), [web])
        self.assertEqual(self.names("projects/314159265358/sources/-/locations/global", self.tok), [web])
        self.assertEqual(self.names("projects/acme-data-dev/sources/-", self.tok), [data, etd_name])
        self.assertEqual(self.names(f"projects/acme-data-dev/sources/{etd_source}", self.tok), [etd_name])
        self.assertEqual(self.names(f"{ORG}/sources/{etd_source}", self.tok), [etd_name])
        self.assertEqual(self.names("organizations/999/sources/-", self.tok), [other_org])

    def test_project_form_name_and_etd_fields(self):
        out = self.seed(finding={"name": "projects/acme-x/sources/42/locations/global/findings/abc123",
                                 "category": "Malware: Cryptomining Bad IP"})
        f = out["finding"]
        self.assertEqual(f["name"], "projects/acme-x/sources/42/locations/global/findings/abc123")
        self.assertEqual(f["findingClass"], "THREAT")
        self.assertEqual(f["mitreAttack"]["primaryTactic"], "IMPACT")
        self.assertTrue(f["indicator"]["ipAddresses"])
        self.assertEqual(self.names("projects/acme-x/sources/42", self.tok), [f["name"]])
        vuln = self.seed(finding={"category": "OS_VULNERABILITY"})["finding"]
        self.assertEqual(vuln["vulnerability"]["cve"]["id"], "CVE-2024-6387")
        self.assertEqual(vuln["vulnerability"]["cve"]["cvssv3"]["baseScore"], 8.1)

    def test_no_get_of_a_single_finding(self):
        name = self.seed()["finding"]["name"]
        self.assertEqual(self.api("GET", f"/v2/{name}", self.tok)[0], 404)

    def test_order_by(self):
        now = int(time.time())
        ts = lambda h: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - h * 3600))  # noqa: E731
        a = self.seed(finding={"category": "OPEN_FIREWALL", "eventTime": ts(5)})["finding"]["name"]
        b = self.seed(finding={"category": "AUDIT_LOGGING_DISABLED", "eventTime": ts(1)})["finding"]["name"]
        c = self.seed(finding={"category": "OPEN_FIREWALL", "eventTime": ts(3)})["finding"]["name"]
        self.assertEqual(self.names(f"{ORG}/sources/-", self.tok, orderBy="event_time desc"), [b, c, a])
        self.assertEqual(self.names(f"{ORG}/sources/-", self.tok, orderBy="event_time"), [a, c, b])
        self.assertEqual(self.names(f"{ORG}/sources/-", self.tok, orderBy=" category  ,  event_time   desc "),
                         [b, c, a])
        self.assertGoogleError(self.list(f"{ORG}/sources/-", self.tok, orderBy="severity"), 400, "INVALID_ARGUMENT")
        self.assertGoogleError(self.list(f"{ORG}/sources/-", self.tok, orderBy="name sideways"), 400,
                               "INVALID_ARGUMENT")

    def test_denied_parent_is_403(self):
        key = self.service_account()
        tok = self.token(key)
        self.seed(project="acme-web-prod", finding={"category": "OPEN_FIREWALL"})
        self.seed(project="acme-data-dev")
        self.call("POST", "/_emu/gcp/deny", {"email": key["client_email"], "parent": "projects/acme-web-prod"})
        err = self.assertGoogleError(self.list("projects/acme-web-prod/sources/-", tok), 403, "PERMISSION_DENIED",
                                     "securitycenter.findings.list")
        self.assertEqual(err["details"][0]["reason"], "IAM_PERMISSION_DENIED")
        number = self.call("GET", "/_emu/gcp/projects")[2]["projects"][0]["number"]
        self.assertEqual(self.list(f"projects/{number}/sources/-", tok)[0], 403)
        self.assertEqual(len(self.names("projects/acme-data-dev/sources/-", tok)), 1)
        self.assertEqual(len(self.names(f"{ORG}/sources/-", tok)), 2)
        self.assertEqual(len(self.names(f"{ORG}/sources/-", self.tok)), 2)  # another principal

    def test_429_fault_in_google_shape(self):
        self.call("POST", "/_emu/faults", {"path": "/findings$", "status": 429, "headers": {"Retry-After": "3"}})
        status, headers, body = self.list(f"{ORG}/sources/-", self.tok)
        self.assertEqual((status, headers.get("Retry-After")), (429, "3"))
        self.assertEqual(body["error"]["status"], "RESOURCE_EXHAUSTED")
        self.assertEqual(body["error"]["code"], 429)
        self.assertEqual(self.list(f"{ORG}/sources/-", self.tok)[0], 200)
        self.call("POST", "/_emu/faults", {"path": "/findings$", "status": 503})
        self.assertGoogleError(self.list(f"{ORG}/sources/-", self.tok), 503, "UNAVAILABLE")

    def test_seed_demo(self):
        status, _, out = self.call("POST", "/_emu/gcp/seed-demo")
        self.assertEqual(status, 200)
        self.assertEqual(out["projects"], ["projects/acme-web-prod", "projects/acme-data-dev"])
        status, _, body = self.list(f"{ORG}/sources/-", self.tok, pageSize=100)
        self.assertEqual(body["totalSize"], out["findings"])
        cats = {r["finding"]["category"] for r in body["listFindingsResults"]}
        self.assertTrue({"PUBLIC_BUCKET_ACL", "MFA_NOT_ENFORCED", "Persistence: IAM Anomalous Grant"} <= cats)
        self.assertTrue(any(c["standard"] == "cis" for r in body["listFindingsResults"]
                            for c in r["finding"].get("compliances", [])))
        web = self.names("projects/acme-web-prod/sources/-", self.tok, pageSize=100)
        dev = self.names("projects/acme-data-dev/sources/-", self.tok, pageSize=100)
        self.assertEqual(self.names("folders/456789012345/sources/-", self.tok, pageSize=100), web)
        self.assertEqual(len(web) + len(dev) + 1, out["findings"])  # + the organization-level finding


class FilterTests(GcpTestCase):
    def setUp(self):
        super().setUp()
        self.tok = self.token()
        now = int(time.time())
        self.t = lambda h: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - h * 3600))
        self.now = now
        seed = lambda **kw: self.seed(**kw)["finding"]["name"]  # noqa: E731
        self.bucket = seed(project="acme-web-prod", finding={"category": "PUBLIC_BUCKET_ACL", "eventTime": self.t(10),
                                                             "securityMarks": {"marks": {"Owner": "Web-Team"}}})
        self.fw = seed(project="acme-web-prod", finding={"category": "OPEN_FIREWALL", "eventTime": self.t(5),
                                                         "severity": "MEDIUM"})
        self.grant = seed(project="acme-data-dev", finding={"category": "Persistence: IAM Anomalous Grant",
                                                            "eventTime": self.t(1)})
        self.logs = seed(project="acme-data-dev", finding={"category": "AUDIT_LOGGING_DISABLED", "eventTime": self.t(2),
                                                           "state": "INACTIVE", "mute": "MUTED"})

    def f(self, expr: str) -> list[str]:
        return self.names(f"{ORG}/sources/-", self.tok, filter=expr)

    def test_equality_and_substring(self):
        self.assertEqual(self.f('category="OPEN_FIREWALL"'), [self.fw])
        self.assertEqual(self.f('category:"PUBLIC"'), [self.bucket])
        self.assertEqual(self.f('severity="HIGH"'), [self.bucket, self.grant])
        self.assertEqual(self.f('state="INACTIVE"'), [self.logs])
        self.assertEqual(self.f('mute="MUTED"'), [self.logs])
        self.assertEqual(self.f('finding_class="THREAT"'), [self.grant])
        self.assertEqual(self.f(f'name="{self.fw}"'), [self.fw])
        self.assertEqual(self.f('resource_name:"storage.googleapis.com"'), [self.bucket])
        self.assertEqual(self.f('parent:"organizations/123456789012/sources/"'), [self.bucket, self.fw, self.grant,
                                                                                 self.logs])
        self.assertEqual(self.f('external_uri:"console.cloud.google.com/networking"'), [self.fw])
        self.assertEqual(self.f(''), [self.bucket, self.fw, self.grant, self.logs])

    def test_resource_fields_and_marks(self):
        self.assertEqual(self.f('resource.type="google.compute.Firewall"'), [self.fw])
        self.assertEqual(self.f('resource.project_display_name="acme-data-dev"'), [self.grant, self.logs])
        proj = self.call("GET", "/_emu/gcp/projects")[2]["projects"]
        web_num = next(p["number"] for p in proj if p["project_id"] == "acme-web-prod")
        full = f"//cloudresourcemanager.googleapis.com/projects/{web_num}"
        self.assertEqual(self.f(f'resource.project_name="{full}"'), [self.bucket, self.fw])
        self.assertEqual(self.f(f'resource.gcp_metadata.project="{full}"'), [self.bucket, self.fw])
        self.assertEqual(self.f('resource.name:"firewalls/"'), [self.fw])
        self.assertEqual(self.f('resource.display_name="acme-web-prod-public-assets"'), [self.bucket])
        self.assertEqual(self.f('security_marks.marks.owner="web-team"'), [self.bucket])  # case-insensitive
        self.assertEqual(self.f('-security_marks.marks.owner:"*"'), [self.fw, self.grant, self.logs])
        self.assertEqual(self.f('source_properties.ScannerName="FIREWALL_SCANNER"'), [self.fw])

    def test_event_time_windows(self):
        self.assertEqual(self.f(f'event_time >= "{self.t(3)}"'), [self.grant, self.logs])
        self.assertEqual(self.f(f'event_time > {(self.now - 3 * 3600) * 1000}'), [self.grant, self.logs])
        self.assertEqual(self.f(f'event_time < "{self.t(3)}" AND event_time >= "{self.t(6)}"'), [self.fw])
        self.assertEqual(self.f(f'event_time = "{self.t(5)}"'), [self.fw])
        local = time.strftime("%Y-%m-%dT%H:%M:%S-02:00", time.gmtime(self.now - 3 * 3600 - 7200))
        self.assertEqual(self.f(f'event_time >= "{local}"'), [self.grant, self.logs])
        self.assertEqual(self.f(f'event_time <= {(self.now - 10 * 3600) * 1000}'), [self.bucket])

    def test_boolean_logic(self):
        # OR binds tighter than AND
        self.assertEqual(self.f('state="ACTIVE" AND category="OPEN_FIREWALL" OR category="AUDIT_LOGGING_DISABLED"'),
                         [self.fw])
        self.assertEqual(self.f('(state="ACTIVE" AND category="OPEN_FIREWALL") OR category="AUDIT_LOGGING_DISABLED"'),
                         [self.fw, self.logs])
        self.assertEqual(self.f('-state="ACTIVE"'), [self.logs])
        self.assertEqual(self.f('NOT state="ACTIVE"'), [self.logs])
        self.assertEqual(self.f('NOT (severity="HIGH" OR mute="MUTED")'), [self.fw])
        self.assertEqual(self.f('-(severity="HIGH") AND state="ACTIVE"'), [self.fw])
        self.assertEqual(self.f('state="ACTIVE" severity="HIGH"'), [self.bucket, self.grant])  # implicit AND
        self.assertEqual(self.f('state="ACTIVE" AND -mute="MUTED" AND (severity="HIGH" OR severity="CRITICAL")'),
                         [self.bucket, self.grant])

    def test_bad_filters_are_400(self):
        for expr in ('nosuchfield="x"', 'state=ACTIVE', 'state="ACTIVE" AND', '(state="ACTIVE"',
                     'state="ACTIVE")', 'category > "A"', 'state="BOGUS"', 'event_time >= "yesterday"',
                     'state != "ACTIVE"', 'severity', 'name:"x"', 'state="ACTIVE" OR OR', '"x"="y"',
                     'category="unterminated'):
            with self.subTest(expr=expr):
                err = self.assertGoogleError(self.list(f"{ORG}/sources/-", self.tok, filter=expr), 400,
                                             "INVALID_ARGUMENT", "Invalid filter")
                self.assertTrue(err["message"])


class MutationTests(GcpTestCase):
    def setUp(self):
        super().setUp()
        self.key = self.service_account(email="analyst-bot@hubble-prod.iam.gserviceaccount.com")
        self.tok = self.token(self.key)
        self.a = self.seed(project="acme-web-prod", finding={"category": "OPEN_FIREWALL",
                                                             "eventTime": "2026-01-01T00:00:00Z"})["finding"]
        self.b = self.seed(project="acme-web-prod", finding={"category": "PUBLIC_BUCKET_ACL"})["finding"]

    def test_set_state_and_its_effect_on_lists(self):
        t0 = time.time()
        status, _, f = self.api("POST", f"/v2/{self.a['name']}:setState", self.tok, {"state": "INACTIVE"})
        self.assertEqual(status, 200, f)
        self.assertEqual(f["state"], "INACTIVE")
        self.assertEqual(f["name"], self.a["name"])
        self.assertNotEqual(f["eventTime"], self.a["eventTime"])  # resolved now
        window = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(t0) - 1))
        self.assertEqual(self.names(f"{ORG}/sources/-", self.tok, filter='state="ACTIVE"'), [self.b["name"]])
        self.assertIn(self.a["name"], self.names(f"{ORG}/sources/-", self.tok,
                                                 filter=f'event_time >= "{window}" AND state="INACTIVE"'))
        # same state again: nothing changes
        again = self.api("POST", f"/v2/{self.a['name']}:setState", self.tok, {"state": "INACTIVE"})[2]
        self.assertEqual(again["eventTime"], f["eventTime"])
        # canonical (project-number) name and the project-id form work too
        status, _, f2 = self.api("POST", f"/v2/{self.a['canonicalName']}:setState", self.tok, {"state": "ACTIVE"})
        self.assertEqual((status, f2["state"]), (200, "ACTIVE"))
        tail = self.a["name"].split("/", 2)[2]
        self.assertEqual(self.api("POST", f"/v2/projects/acme-web-prod/{tail}:setState", self.tok,
                                  {"state": "INACTIVE"})[0], 200)
        self.assertEqual(self.api("POST", f"/v2/projects/other/{tail}:setState", self.tok,
                                  {"state": "INACTIVE"})[0], 404)

    def test_set_state_errors(self):
        name = self.a["name"]
        self.assertGoogleError(self.api("POST", f"/v2/{name}:setState", self.tok, {"state": "DONE"}), 400,
                               "INVALID_ARGUMENT")
        self.assertGoogleError(self.api("POST", f"/v2/{name}:setState", self.tok, {}), 400, "INVALID_ARGUMENT")
        self.assertGoogleError(self.api("POST", f"/v2/{name}:setState", self.tok, {"state": "ACTIVE", "x": 1}), 400,
                               "INVALID_ARGUMENT")
        missing = name.rsplit("/", 1)[0] + "/doesnotexist"
        self.assertGoogleError(self.api("POST", f"/v2/{missing}:setState", self.tok, {"state": "ACTIVE"}), 404,
                               "NOT_FOUND")
        self.assertEqual(self.api("POST", f"/v2/{name}:setState", None, {"state": "ACTIVE"})[0], 401)

    def test_set_mute_and_its_effect_on_lists(self):
        status, _, f = self.api("POST", f"/v2/{self.b['name']}:setMute", self.tok, {"mute": "MUTED"})
        self.assertEqual(status, 200, f)
        self.assertEqual((f["mute"], f["muteInitiator"]), ("MUTED", self.key["client_email"]))
        self.assertIn("muteUpdateTime", f)
        self.assertEqual(f["muteInfo"]["staticMute"]["state"], "MUTED")
        self.assertEqual(f["eventTime"], self.b["eventTime"])  # muting is not a new event
        self.assertEqual(self.names(f"{ORG}/sources/-", self.tok, filter='mute="MUTED"'), [self.b["name"]])
        self.assertEqual(self.names(f"{ORG}/sources/-", self.tok, filter='-mute="MUTED"'), [self.a["name"]])
        f = self.api("POST", f"/v2/{self.b['name']}:setMute", self.tok, {"mute": "UNMUTED"})[2]
        self.assertEqual(f["mute"], "UNMUTED")
        self.assertEqual(self.names(f"{ORG}/sources/-", self.tok, filter='mute="UNMUTED"'), [self.b["name"]])
        self.assertGoogleError(self.api("POST", f"/v2/{self.b['name']}:setMute", self.tok, {"mute": "UNDEFINED"}),
                               400, "INVALID_ARGUMENT")

    def test_denied_mutation(self):
        self.call("POST", "/_emu/gcp/deny", {"email": self.key["client_email"], "parent": ORG,
                                             "permission": "securitycenter.findings.setMute"})
        self.assertGoogleError(self.api("POST", f"/v2/{self.b['name']}:setMute", self.tok, {"mute": "MUTED"}), 403,
                               "PERMISSION_DENIED", "securitycenter.findings.setMute")
        self.assertEqual(self.api("POST", f"/v2/{self.b['name']}:setState", self.tok, {"state": "INACTIVE"})[0], 200)
        self.assertEqual(self.list(f"{ORG}/sources/-", self.tok)[0], 200)
        self.call("DELETE", "/_emu/gcp/deny")
        self.assertEqual(self.api("POST", f"/v2/{self.b['name']}:setMute", self.tok, {"mute": "MUTED"})[0], 200)

    def test_change_by_another_client(self):
        t0 = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(time.time()) - 1))
        window = f'event_time >= "{t0}"'
        self.assertNotIn(self.a["name"], self.names(f"{ORG}/sources/-", self.tok, filter=window))
        status, _, out = self.call("POST", "/_emu/gcp/findings/state", {"name": self.a["name"], "state": "INACTIVE",
                                                                         "mute": "MUTED"})
        self.assertEqual(status, 200, out)
        self.assertEqual((out["finding"]["state"], out["finding"]["mute"]), ("INACTIVE", "MUTED"))
        self.assertEqual(out["finding"]["muteInitiator"], "another-analyst@example.com")
        self.assertIn(self.a["name"], self.names(f"{ORG}/sources/-", self.tok, filter=window))
        listed = self.call("GET", "/_emu/gcp/findings")[2]["findings"]
        self.assertEqual(next(x for x in listed if x["finding"]["name"] == self.a["name"])["finding"]["state"],
                         "INACTIVE")

    def test_reseed_existing_name_updates_it(self):
        out = self.seed(finding={"name": self.a["name"], "severity": "CRITICAL"})
        self.assertEqual(out["finding"]["severity"], "CRITICAL")
        self.assertEqual(out["finding"]["createTime"], self.a["createTime"])
        self.assertEqual(len(self.call("GET", "/_emu/gcp/findings")[2]["findings"]), 2)
