-- Credentials that keep themselves alive (SQLite).
--
-- Where a credential's password comes from: 'static' (what people entered) or 'ecr' (Amazon
-- ECR: a 12-hour token Berth mints from AWS keys). A minted token is kept in the password
-- columns like any password, so every reader (check, pull-secret export, credential helper)
-- gets the live one.
alter table registry_credential add column source text not null default 'static'
    check (source in ('static', 'ecr'));
-- ECR: the access key ID (not a secret), and the role to assume with its external ID.
alter table registry_credential add column aws_access_key_id text null;
alter table registry_credential add column aws_role_arn text null;
alter table registry_credential add column aws_external_id text null;
-- The secret access key (and a session token, if the keys are temporary), sealed under the
-- master key and bound to the credential, with that key's ID: rotation re-seals them too.
alter table registry_credential add column aws_secret_ciphertext blob null;
alter table registry_credential add column aws_secret_nonce blob null;
alter table registry_credential add column aws_secret_key_id text null;
-- The minted token: when it expires and when it was minted (Unix seconds); when the next
-- refresh is due (three quarters into its life, or a retry after a failure); the last
-- failure (AWS's code and message, never a secret) and how many failures in a row.
alter table registry_credential add column token_expires_at integer null;
alter table registry_credential add column token_refreshed_at integer null;
alter table registry_credential add column refresh_due_at integer null;
alter table registry_credential add column refresh_error text null;
alter table registry_credential add column refresh_failures integer not null default 0;
create index registry_credential_refresh_idx on registry_credential (refresh_due_at)
    where source = 'ecr';
