-- Access tokens (SQLite): a person's (`personal`, never more than their current roles) or a
-- project's (`project`, for CI; not tied to a person, deleted with the project). Only the
-- SHA-256 of the token text is stored. Times are Unix seconds; `expires_at` null means no
-- expiry. `owner_key` is `user:ID` or `project:ID`: names are unique among an owner's live
-- tokens. Revoked tokens stay (audit entries name them) but never authenticate.
create table access_token (
    id blob primary key not null,
    kind text not null,
    user_id blob null,
    project_id blob null,
    owner_key text not null,
    name text not null,
    token_hash blob not null,
    scopes text not null,
    created_at integer not null,
    created_by blob null,
    expires_at integer null,
    last_used_at integer null,
    last_used_addr text null,
    revoked_at integer null,
    constraint access_token_hash_key unique (token_hash),
    constraint access_token_kind_check check (
        (kind = 'personal' and user_id is not null and project_id is null)
        or (kind = 'project' and project_id is not null and user_id is null)),
    constraint access_token_user_fkey foreign key (user_id) references app_user (id) on delete cascade,
    constraint access_token_project_fkey foreign key (project_id) references project (id) on delete cascade,
    constraint access_token_created_by_fkey foreign key (created_by) references app_user (id) on delete set null
);
create unique index access_token_name_key on access_token (owner_key, name) where revoked_at is null;
create index access_token_user_idx on access_token (user_id);
create index access_token_project_idx on access_token (project_id);

-- Changes made with a token say which one.
alter table audit_event add column token_id blob null;
alter table audit_event add column token_name text null;
