-- Organizations, projects, roles, the current project, and the audit log (PostgreSQL).
create table organization (
    id uuid primary key not null,
    name text not null,
    display_name text not null,
    created_at timestamptz not null,
    constraint organization_name_key unique (name),
    constraint organization_name_fkey foreign key (name) references namespace (name)
);

create table org_member (
    org_id uuid not null,
    user_id uuid not null,
    role text not null,
    created_at timestamptz not null,
    constraint org_member_pkey primary key (org_id, user_id),
    constraint org_member_role_check check (role in ('owner', 'admin', 'member')),
    constraint org_member_org_fkey foreign key (org_id) references organization (id) on delete cascade,
    constraint org_member_user_fkey foreign key (user_id) references app_user (id) on delete cascade
);
create index org_member_user_idx on org_member (user_id);

-- The configured regions an organization allows its projects in (at least one).
create table org_region (
    org_id uuid not null,
    region text not null,
    constraint org_region_pkey primary key (org_id, region),
    constraint org_region_org_fkey foreign key (org_id) references organization (id) on delete cascade
);

create table project (
    id uuid primary key not null,
    owner_name text not null,
    name text not null,
    description text not null default '',
    region text not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    constraint project_owner_name_key unique (owner_name, name),
    constraint project_owner_fkey foreign key (owner_name) references namespace (name) on update cascade
);

create table project_member (
    project_id uuid not null,
    user_id uuid not null,
    role text not null,
    created_at timestamptz not null,
    constraint project_member_pkey primary key (project_id, user_id),
    constraint project_member_role_check check (role in ('admin', 'developer', 'viewer')),
    constraint project_member_project_fkey foreign key (project_id) references project (id) on delete cascade,
    constraint project_member_user_fkey foreign key (user_id) references app_user (id) on delete cascade
);
create index project_member_user_idx on project_member (user_id);

-- The project a user works in (like `kalix config set project`), kept across sessions.
alter table app_user add column current_project_id uuid null
    references project (id) on delete set null;

-- History outlives what it is about: no foreign keys to organizations or projects.
create table audit_event (
    id uuid primary key not null,
    at timestamptz not null,
    actor_id uuid null,
    org_id uuid null,
    project_id uuid null,
    action text not null,
    target text not null,
    details text not null,
    client_addr text null
);
create index audit_event_org_idx on audit_event (org_id, id);
create index audit_event_project_idx on audit_event (project_id, id);
