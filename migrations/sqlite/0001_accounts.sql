-- Accounts, sessions and the sign-in throttle (SQLite).
create table namespace (
    name text primary key not null,
    kind text not null,
    created_at text not null,
    constraint namespace_kind_check check (kind in ('user', 'organization'))
);

create table app_user (
    id blob primary key not null,
    username text not null,
    email text not null,
    display_name text not null,
    password_hash text not null,
    -- Random bytes stored in every session of the user; replacing them ends those sessions.
    session_version blob not null,
    is_instance_admin boolean not null default false,
    created_at text not null,
    updated_at text not null,
    constraint app_user_username_key unique (username),
    constraint app_user_email_key unique (email),
    constraint app_user_username_fkey foreign key (username) references namespace (name)
);

-- At most one instance administrator: concurrent first sign-ups cannot both become it.
create unique index app_user_one_instance_admin on app_user (is_instance_admin) where is_instance_admin;

create table login_throttle (
    key text primary key not null,
    attempts integer not null,
    window_start integer not null
);

-- tower-sessions' record layout (the store's own `migrate()` is not used, so replicas don't race).
create table user_session (
    id text primary key not null,
    data blob not null,
    expiry_date integer not null
);
create index user_session_expiry_date_idx on user_session (expiry_date);
