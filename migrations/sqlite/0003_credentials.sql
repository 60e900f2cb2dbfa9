-- Registry credentials (SQLite). The password is stored only sealed: AES-256-GCM ciphertext,
-- its nonce, and the ID of the master key that sealed it.
create table registry_credential (
    id blob primary key not null,
    project_id blob not null,
    server text not null,
    registry_host text not null,
    username text not null default '',
    email text not null default '',
    password_ciphertext blob not null,
    password_nonce blob not null,
    key_id text not null,
    created_at text not null,
    created_by blob null,
    updated_at text not null,
    updated_by blob null,
    constraint registry_credential_host_key unique (project_id, registry_host),
    constraint registry_credential_project_fkey foreign key (project_id) references project (id) on delete cascade,
    constraint registry_credential_created_by_fkey foreign key (created_by) references app_user (id) on delete set null,
    constraint registry_credential_updated_by_fkey foreign key (updated_by) references app_user (id) on delete set null
);
create index registry_credential_list_idx on registry_credential (project_id, server, id);
create index registry_credential_key_idx on registry_credential (key_id);
