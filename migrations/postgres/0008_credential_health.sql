-- Credentials that stay healthy (PostgreSQL).
--
-- The last check of a credential against its registry: 'ok' or 'failing' (null: untested, or
-- changed since), why it failed, when (Unix seconds), and the image it was tried with (the
-- background re-check tries the same one).
alter table registry_credential add column check_status text null;
alter table registry_credential add column check_reason text null;
alter table registry_credential add column checked_at bigint null;
alter table registry_credential add column check_image text null;
-- When the password (a token at GitHub, GitLab, Docker Hub) stops working: 'YYYY-MM-DD'.
alter table registry_credential add column expires_on text null;
create index registry_credential_checked_idx on registry_credential (checked_at);

-- A lease held by one replica at a time for a background job (the credential re-check): taken
-- by an insert or by an update of an expired row, so two replicas cannot both hold it.
create table worker_lease (
    name text primary key not null,
    holder text not null,
    expires_at bigint not null
);

-- An import from a docker config.json waiting to be confirmed: its entries sealed under the
-- master key (bound to the draft and its project), usable only by who previewed it (a user ID
-- or a token ID), for fifteen minutes. Confirming deletes it; housekeeping drops old ones.
create table credential_import (
    id uuid primary key not null,
    project_id uuid not null,
    made_by text not null,
    sealed bytea not null,
    nonce bytea not null,
    key_id text not null,
    expires_at bigint not null,
    constraint credential_import_project_fkey foreign key (project_id) references project (id) on delete cascade
);
create index credential_import_expires_idx on credential_import (expires_at);
