//! The store's schema, one migration per step; `PRAGMA user_version` says how many ran.

/// Each entry moves the schema one version forward; never edit a shipped one.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: findings cache and sync state
    "CREATE TABLE findings (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        record_state TEXT NOT NULL,
        data TEXT NOT NULL,
        raw TEXT NOT NULL
    );
    CREATE INDEX findings_source ON findings(source);
    CREATE TABLE sources (
        key TEXT PRIMARY KEY,
        watermark INTEGER,
        last_full_sync INTEGER,
        last_ok INTEGER
    );",
    // 2: remediation queue; every transition is kept
    "CREATE TABLE remediation_items (
        id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL,
        requester TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        execution_id TEXT,
        current_step TEXT,
        failure TEXT,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        finding_noted INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX remediation_items_state ON remediation_items(state);
    CREATE TABLE remediation_decisions (
        item_id TEXT NOT NULL REFERENCES remediation_items(id),
        actor TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        approve INTEGER NOT NULL,
        justification TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (item_id, actor)
    );
    CREATE TABLE remediation_transitions (
        item_id TEXT NOT NULL REFERENCES remediation_items(id),
        at INTEGER NOT NULL,
        from_state TEXT,
        to_state TEXT NOT NULL,
        actor TEXT NOT NULL,
        note TEXT NOT NULL
    );",
    // 3: posture history, one JSON point per poll cycle (downsampled as it ages)
    "CREATE TABLE posture_history (
        at INTEGER PRIMARY KEY,
        data TEXT NOT NULL
    );",
    // 4: the audit log's anchor; remediation leases, bound digests and person keys
    "CREATE TABLE audit_anchor (
        log TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        head TEXT NOT NULL,
        alg TEXT NOT NULL,
        at INTEGER NOT NULL
    );
    ALTER TABLE remediation_items ADD COLUMN finding_id TEXT;
    ALTER TABLE remediation_items ADD COLUMN lease_owner TEXT;
    ALTER TABLE remediation_items ADD COLUMN lease_until INTEGER;
    ALTER TABLE remediation_items ADD COLUMN start_error TEXT;
    UPDATE remediation_items SET finding_id = json_extract(data, '$.finding_id');
    CREATE INDEX remediation_items_finding ON remediation_items(finding_id);
    ALTER TABLE remediation_decisions ADD COLUMN digest TEXT NOT NULL DEFAULT '';
    ALTER TABLE remediation_decisions ADD COLUMN person TEXT NOT NULL DEFAULT '';",
    // 5: notes for providers that cannot hold them (Azure, GCP, code scanning)
    "CREATE TABLE local_notes (
        finding_id TEXT PRIMARY KEY,
        text TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    );",
    // 6: notifications: the outbox (one row per message to a channel, leased while sent),
    // the items already enqueued (rule × event × finding × version × channel), rule state
    // (matches, open notifications, escalation deadlines), per-channel pacing, tickets
    "CREATE TABLE notify_outbox (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        raw_key TEXT NOT NULL,
        channel TEXT NOT NULL,
        rule TEXT,
        event TEXT NOT NULL,
        finding_id TEXT,
        message TEXT NOT NULL,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before INTEGER NOT NULL,
        lease_owner TEXT,
        lease_until INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        sent_at INTEGER,
        last_error TEXT,
        reference TEXT
    );
    CREATE INDEX notify_outbox_due ON notify_outbox(state, not_before);
    CREATE INDEX notify_outbox_finding ON notify_outbox(finding_id);
    CREATE TABLE notify_items (
        item_key TEXT PRIMARY KEY,
        entry_id INTEGER NOT NULL,
        at INTEGER NOT NULL
    );
    CREATE TABLE notify_rules (
        rule TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        baselined_at INTEGER
    );
    CREATE TABLE notify_state (
        rule TEXT NOT NULL,
        finding_id TEXT NOT NULL,
        matched INTEGER NOT NULL,
        open INTEGER NOT NULL,
        version TEXT NOT NULL,
        matched_at INTEGER NOT NULL,
        escalate_at INTEGER,
        PRIMARY KEY (rule, finding_id)
    );
    CREATE INDEX notify_state_deadline ON notify_state(escalate_at);
    CREATE TABLE notify_channels (
        channel TEXT PRIMARY KEY,
        next_at INTEGER NOT NULL DEFAULT 0,
        paused_until INTEGER NOT NULL DEFAULT 0,
        pause_reason TEXT
    );
    CREATE TABLE notify_sources (
        source TEXT PRIMARY KEY,
        since INTEGER NOT NULL
    );
    CREATE TABLE notify_cursor (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL
    );
    CREATE TABLE notify_tickets (
        finding_id TEXT NOT NULL,
        channel TEXT NOT NULL,
        issue_key TEXT NOT NULL,
        url TEXT,
        created_at INTEGER NOT NULL,
        resolved_at INTEGER,
        PRIMARY KEY (finding_id, channel)
    );",
    // 7: full reads at organisation scale: which full read last returned a finding (its
    // started_at), the checkpoint an interrupted full read resumes from, and the last
    // completed full read's count (the next one's expected total)
    "ALTER TABLE findings ADD COLUMN sync_mark INTEGER;
    ALTER TABLE sources ADD COLUMN sync_kind TEXT;
    ALTER TABLE sources ADD COLUMN sync_started_at INTEGER;
    ALTER TABLE sources ADD COLUMN sync_from INTEGER;
    ALTER TABLE sources ADD COLUMN sync_pages INTEGER;
    ALTER TABLE sources ADD COLUMN sync_findings INTEGER;
    ALTER TABLE sources ADD COLUMN last_full_count INTEGER;",
];
