//! The demo clouds' documents in each provider's own JSON, dated relative to `now`.

use super::*;

fn ago(now: i64, hours: i64) -> String {
    format_rfc3339(now - hours * HOUR)
}

pub(super) fn azure_docs(sub: &str, i: usize, now: i64) -> Vec<Doc> {
    let rg = format!("/subscriptions/{sub}/resourceGroups/rg-{}", i + 1);
    let mut out = Vec::new();
    let alerts = [
        (
            "High",
            "VM_SuspiciousActivity",
            "Suspicious PowerShell activity detected",
            "vm-web-01",
            "Active",
        ),
        (
            "Medium",
            "SQL.DB_BruteForce",
            "Brute force attempt on SQL server",
            "sql-main",
            "Active",
        ),
        (
            "High",
            "Storage.Blob_AnonymousAccessAnomaly",
            "Unusual anonymous access to a storage account",
            "stcorpdata",
            "InProgress",
        ),
        (
            "Low",
            "VM_EICAR",
            "Azure Security Center test alert (not a threat)",
            "vm-test",
            "Resolved",
        ),
    ];
    for (n, (sev, atype, title, res, status)) in alerts.iter().enumerate() {
        let rid = format!("{rg}/providers/Microsoft.Compute/virtualMachines/{res}");
        let at = ago(now, (n as i64 + 1) * 7 + i as i64 * 3);
        out.push(Doc {
            json: json!({
                "id": format!("{rg}/providers/Microsoft.Security/locations/westeurope/alerts/2518{i}{n}00000000000_DEMO"),
                "name": format!("2518{i}{n}00000000000_DEMO"),
                "type": "Microsoft.Security/Locations/alerts",
                "properties": {
                    "alertType": atype, "alertDisplayName": title, "severity": sev, "status": status,
                    "description": format!("{title} on {res}. Investigate the activity and the identity that performed it."),
                    "intent": "Execution", "compromisedEntity": res, "productName": "Microsoft Defender for Cloud",
                    "vendorName": "Microsoft", "startTimeUtc": at, "endTimeUtc": at, "timeGeneratedUtc": at,
                    "processingEndTimeUtc": at, "isIncident": false,
                    "remediationSteps": ["Review the activity log of the resource.", "Rotate credentials that may be exposed."],
                    "resourceIdentifiers": [{"type": "AzureResource", "azureResourceId": rid}],
                    "alertUri": format!("https://portal.azure.com/#blade/Microsoft_Azure_Security_AzureDefenderForData/AlertBlade/alertId/2518{i}{n}/subscriptionId/{sub}")
                }
            }),
            updated: now - (n as i64 + 1) * 7 * HOUR,
        });
    }
    let recs = [
        (
            "High",
            "Management ports should be closed on your virtual machines",
            "Unhealthy",
            "vm-web-01",
        ),
        (
            "Medium",
            "Storage accounts should restrict network access",
            "Unhealthy",
            "stcorpdata",
        ),
        (
            "High",
            "Azure Defender for SQL should be enabled",
            "Unhealthy",
            "sql-main",
        ),
        (
            "Low",
            "Diagnostic logs in Key Vault should be enabled",
            "Healthy",
            "kv-corp",
        ),
        (
            "Medium",
            "MFA should be enabled on accounts with owner permissions",
            "Healthy",
            "subscription",
        ),
    ];
    for (n, (sev, title, code, res)) in recs.iter().enumerate() {
        let rid = format!("{rg}/providers/Microsoft.Compute/virtualMachines/{res}");
        let guid = format!("00000000-0000-0000-{i:04}-{n:012}");
        out.push(Doc {
            json: json!({
                "id": format!("{rid}/providers/Microsoft.Security/assessments/{guid}"),
                "name": guid,
                "type": "Microsoft.Security/assessments",
                "properties": {
                    "displayName": title,
                    "resourceDetails": {"Source": "Azure", "Id": rid},
                    "status": {"code": code, "statusChangeDate": ago(now, 30 + n as i64), "firstEvaluationDate": ago(now, 400)},
                    "metadata": {
                        "displayName": title, "severity": sev, "assessmentType": "BuiltIn",
                        "description": format!("{title}. Defender for Cloud evaluates this for every resource in scope."),
                        "remediationDescription": "Open the recommendation in Defender for Cloud and apply the quick fix, or change the resource's configuration.",
                        "categories": ["Compute"], "userImpact": "Low", "implementationEffort": "Low", "threats": ["dataExfiltration"]
                    },
                    "links": {"azurePortalUri": format!("https://portal.azure.com/#blade/Microsoft_Azure_Security/RecommendationsBlade/assessmentKey/{guid}")}
                }
            }),
            updated: now - (30 + n as i64) * HOUR,
        });
    }
    out
}

pub(super) fn gcp_docs(project: &str, i: usize, now: i64) -> Vec<Doc> {
    let rows = [
        (
            "CRITICAL",
            "PUBLIC_BUCKET_ACL",
            "storage.googleapis.com/Bucket",
            "ACTIVE",
            "UNMUTED",
            "cis",
        ),
        (
            "HIGH",
            "OPEN_FIREWALL",
            "compute.googleapis.com/Firewall",
            "ACTIVE",
            "UNMUTED",
            "cis",
        ),
        (
            "HIGH",
            "SQL_PUBLIC_IP",
            "sqladmin.googleapis.com/Instance",
            "ACTIVE",
            "UNMUTED",
            "pci",
        ),
        (
            "MEDIUM",
            "MFA_NOT_ENFORCED",
            "cloudresourcemanager.googleapis.com/Organization",
            "ACTIVE",
            "MUTED",
            "cis",
        ),
        (
            "LOW",
            "FLOW_LOGS_DISABLED",
            "compute.googleapis.com/Subnetwork",
            "INACTIVE",
            "UNMUTED",
            "cis",
        ),
    ];
    rows.iter()
        .enumerate()
        .map(|(n, (sev, cat, rtype, state, mute, std))| {
            let short = rtype.rsplit('/').next().unwrap_or("r").to_lowercase();
            let resource = format!("//{}/projects/{project}/{short}s/{short}-{n}", rtype.split('/').next().unwrap_or(""));
            let at = ago(now, (n as i64 + 2) * 5 + i as i64);
            let name = format!("projects/{project}/sources/1234567890/locations/global/findings/demo{i}{n:04}");
            Doc {
                json: json!({
                    "finding": {
                        "name": name, "canonicalName": name,
                        "parent": format!("projects/{project}/sources/1234567890/locations/global"),
                        "resourceName": resource, "state": state, "category": cat, "severity": sev, "mute": mute,
                        "findingClass": "MISCONFIGURATION", "eventTime": at, "createTime": ago(now, 200 + n as i64),
                        "description": format!("{cat} found on a {short} in {project}."),
                        "nextSteps": "Change the resource's configuration as the recommendation says; see the CIS benchmark control.",
                        "sourceProperties": {"Recommendation": "Remove public access and re-run the scan.", "Explanation": "Publicly reachable resources can be found and attacked."},
                        "compliances": [{"standard": std, "version": if *std == "cis" { "2.0" } else { "4.0" }, "ids": [format!("{}.{}", n + 1, i + 1)]}],
                        "externalUri": format!("https://console.cloud.google.com/security/command-center/findings?project={project}"),
                        "parentDisplayName": "Security Health Analytics"
                    },
                    "resource": {
                        "name": resource, "type": rtype, "location": "europe-west1",
                        "gcpMetadata": {"project": format!("//cloudresourcemanager.googleapis.com/projects/{project}"), "projectDisplayName": project}
                    }
                }),
                updated: now - (n as i64 + 2) * 5 * HOUR,
            }
        })
        .collect()
}

pub(super) fn github_docs(now: i64) -> Vec<Doc> {
    let rows = [
        (
            "critical",
            "py/sql-injection",
            "Database query built from user-controlled sources",
            "api/db/users.py",
            42,
        ),
        (
            "high",
            "py/path-injection",
            "Uncontrolled data used in path expression",
            "api/files/download.py",
            17,
        ),
        (
            "medium",
            "py/clear-text-logging-sensitive-data",
            "Clear-text logging of sensitive information",
            "api/auth/login.py",
            88,
        ),
        (
            "low",
            "py/flask-debug",
            "Flask app is run in debug mode",
            "api/main.py",
            9,
        ),
    ];
    rows.iter()
        .enumerate()
        .map(|(n, (sev, rule, title, path, line))| {
            let at = ago(now, (n as i64 + 1) * 11);
            Doc {
                json: json!({
                    "number": n + 1,
                    "created_at": ago(now, 300 + n as i64), "updated_at": at,
                    "html_url": format!("https://github.com/{GITHUB_REPO}/security/code-scanning/{}", n + 1),
                    "state": "open", "fixed_at": null, "dismissed_by": null, "dismissed_at": null,
                    "dismissed_reason": null, "dismissed_comment": null,
                    "rule": {"id": rule, "name": rule, "severity": "error", "security_severity_level": sev,
                             "description": title, "full_description": format!("{title}."), "tags": ["security", "external/cwe/cwe-089"],
                             "help": "Use the database driver's parameters instead of building query text."},
                    "tool": {"name": "CodeQL", "version": "2.19.0"},
                    "most_recent_instance": {"ref": "refs/heads/main", "commit_sha": "4f1c0ffee4f1c0ffee4f1c0ffee4f1c0ffee4f1c0",
                        "message": {"text": format!("{title}.")}, "location": {"path": path, "start_line": line, "end_line": line},
                        "classifications": []},
                    "repository": {"full_name": GITHUB_REPO}
                }),
                updated: now - (n as i64 + 1) * 11 * HOUR,
            }
        })
        .collect()
}
