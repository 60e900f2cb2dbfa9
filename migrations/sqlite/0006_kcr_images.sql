-- KCR images (SQLite), as the registry's notifications report them: one row per repository
-- (`region` + `name`, e.g. `acme/shop/cart`) and one per tag. A repository of a project
-- (`OWNER/PROJECT/IMAGE`) has its `project_id` and goes with the project; an organization's
-- shared one (`ORG/IMAGE`) has none. Times are Unix seconds.
create table kcr_repository (
    id blob primary key not null,
    region text not null,
    name text not null,
    owner_name text not null,
    project_id blob null,
    created_at integer not null,
    constraint kcr_repository_name_key unique (region, name),
    constraint kcr_repository_project_fkey foreign key (project_id) references project (id) on delete cascade
);
create index kcr_repository_project_idx on kcr_repository (project_id);
create index kcr_repository_owner_idx on kcr_repository (region, owner_name);

-- A tag and the manifest it points at. `size` is the image's (config and layers), when Berth
-- could read the manifest. `pushed_by` is how the audit log names the pusher.
create table kcr_tag (
    repository_id blob not null,
    tag text not null,
    digest text not null,
    media_type text not null,
    size integer null,
    pushed_at integer not null,
    pushed_by text null,
    pushed_token_id blob null,
    last_pulled_at integer null,
    constraint kcr_tag_pkey primary key (repository_id, tag),
    constraint kcr_tag_repository_fkey foreign key (repository_id) references kcr_repository (id) on delete cascade
);
create index kcr_tag_pushed_idx on kcr_tag (repository_id, pushed_at, tag);
create index kcr_tag_digest_idx on kcr_tag (repository_id, digest);

-- Notification IDs already applied: the registry retries, and an event must count once.
create table kcr_event (
    id text primary key not null,
    received_at integer not null
);
create index kcr_event_received_idx on kcr_event (received_at);
