-- Pull secrets and device logins (SQLite).
--
-- A credential remembers its last export in a pull secret: when (Unix seconds) and by whom,
-- as the audit log names them ("ann by token ci", "project token deploy").
alter table registry_credential add column last_exported_at integer null;
alter table registry_credential add column last_exported_by text null;

-- The short-lived, pull-only project token a pull secret carries for KCR. Expired ones are
-- revoked at the project's next export, so they do not use up its live tokens.
alter table access_token add column pull_secret boolean not null default false;
-- The token a pull secret's token was made with, if any: revoking that token revokes this one.
alter table access_token add column made_by_token blob null;

-- A device login (RFC 8628): the CLI holds the device code (only its SHA-256 is stored), the
-- person types the user code at /activate. Approved, it is exchanged once for a personal
-- token at the device's next poll, and deleted. Times are Unix seconds.
create table device_grant (
    id blob primary key not null,
    device_code_hash blob not null,
    user_code text not null,
    client_name text not null,
    scopes text not null,
    requested_addr text not null,
    created_at integer not null,
    expires_at integer not null,
    polled_at integer null,
    approved_by blob null,
    denied boolean not null default false,
    constraint device_grant_code_key unique (device_code_hash),
    constraint device_grant_user_code_key unique (user_code),
    constraint device_grant_approved_by_fkey foreign key (approved_by) references app_user (id) on delete cascade
);
create index device_grant_expires_idx on device_grant (expires_at);
