-- Registry credentials (PostgreSQL). The password is stored only sealed: AES-256-GCM ciphertext,
-- its nonce, and the ID of the master key that sealed it.
create table registry_credential (
    id uuid primary key not null,
    project_id uuid not null,
    server text not null,
    registry_host text not null,
    username text not null default '',
    email text not null default '',
    password_ciphertext bytea not null,
    password_nonce bytea not null,
    key_id text not null,
    created_at timestamptz not null,
    created_by uuid null,
    updated_at timestamptz not null,
    updated_by uuid null,
    constraint registry_credential_host_key unique (project_id, registry_host),
    constraint registry_credential_project_fkey foreign key (project_id) references project (id) on delete cascade,
    constraint registry_credential_created_by_fkey foreign key (created_by) references app_user (id) on delete set null,
    constraint registry_credential_updated_by_fkey foreign key (updated_by) references app_user (id) on delete set null
);
create index registry_credential_list_idx on registry_credential (project_id, server, id);
create index registry_credential_key_idx on registry_credential (key_id);
