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
