-- Security fixes (SQLite).

-- Sessions are kept under the SHA-256 of their ID: the ID is the cookie value, and whoever
-- reads this table must not be able to sign in with it. The old table held the IDs themselves,
-- so its sessions end here. `created_at` bounds a session's lifetime however active it is.
drop table user_session;
create table user_session (
    id_hash text primary key not null,
    data text not null,
    expires_at integer not null,
    created_at integer not null
);
create index user_session_expires_at_idx on user_session (expires_at);
create index user_session_created_at_idx on user_session (created_at);

-- Invitations: nobody joins an organization or a project without saying yes. An admin invites
-- a username or an email address with a role; the invitee accepts or declines; an invitation
-- expires seven days after it was made (`expires_at`, Unix seconds). One pending invitation
-- per target and invitee (`target_key` is `org:ID` or `project:ID`, `invitee_key`
-- `user:ID` or `email:ADDRESS`). An email invitation names no account: it waits for whoever
-- has or signs up with that address.
create table invitation (
    id blob primary key not null,
    org_id blob null,
    project_id blob null,
    invitee_user_id blob null,
    invitee_email text null,
    role text not null,
    invited_by blob null,
    created_at text not null,
    expires_at integer not null,
    target_key text not null,
    invitee_key text not null,
    constraint invitation_once_key unique (target_key, invitee_key),
    constraint invitation_target_check check ((org_id is null) <> (project_id is null)),
    constraint invitation_invitee_check check ((invitee_user_id is null) <> (invitee_email is null)),
    constraint invitation_role_check check (role in ('owner', 'admin', 'member', 'developer', 'viewer')),
    constraint invitation_org_fkey foreign key (org_id) references organization (id) on delete cascade,
    constraint invitation_project_fkey foreign key (project_id) references project (id) on delete cascade,
    constraint invitation_invitee_fkey foreign key (invitee_user_id) references app_user (id) on delete cascade,
    constraint invitation_invited_by_fkey foreign key (invited_by) references app_user (id) on delete set null
);
create index invitation_invitee_user_idx on invitation (invitee_user_id);
create index invitation_invitee_email_idx on invitation (invitee_email);
create index invitation_org_idx on invitation (org_id);
create index invitation_project_idx on invitation (project_id);
create index invitation_expires_at_idx on invitation (expires_at);
