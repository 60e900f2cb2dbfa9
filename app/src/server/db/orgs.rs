//! `organization`, `org_member` and `org_region`: create, list, look up.

use super::from_row;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::role::OrgRole;
use crate::server::db::{Db, Tx, Unique};
use crate::{on_db, on_tx};

/// An organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Org {
    /// ID (UUIDv7).
    pub id: Uuid,
    /// Namespace name.
    pub name: String,
    /// Name shown to people.
    pub display_name: String,
}
from_row!(Org {
    id,
    name,
    display_name
});

/// An organization with the caller's role in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    /// The organization.
    pub org: Org,
    /// The caller's role, as stored.
    pub role: String,
}
from_row!(Membership { role } flatten { org });

/// A name taken by a user or an organization.
pub const NAME_TAKEN: &[Unique] = &[
    Unique {
        pg: "namespace_pkey",
        sqlite: "namespace.name",
    },
    Unique {
        pg: "organization_name_key",
        sqlite: "organization.name",
    },
];

/// Creates the namespace, the organization, its owner and its regions inside `tx`.
pub async fn create(
    tx: &mut Tx,
    name: &str,
    display_name: &str,
    owner: Uuid,
    regions: &[String],
) -> Result<Org, sqlx::Error> {
    let now = OffsetDateTime::now_utc();
    let org = Org {
        id: Uuid::now_v7(),
        name: name.to_owned(),
        display_name: display_name.to_owned(),
    };
    on_tx!(tx, conn => {
        sqlx::query("insert into namespace (name, kind, created_at) values ($1, 'organization', $2)")
            .bind(name)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        sqlx::query("insert into organization (id, name, display_name, created_at) values ($1, $2, $3, $4)")
            .bind(org.id)
            .bind(name)
            .bind(display_name)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        sqlx::query("insert into org_member (org_id, user_id, role, created_at) values ($1, $2, 'owner', $3)")
            .bind(org.id)
            .bind(owner)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        for region in regions {
            sqlx::query("insert into org_region (org_id, region) values ($1, $2)")
                .bind(org.id)
                .bind(region)
                .execute(&mut *conn)
                .await?;
        }
    });
    Ok(org)
}

/// Sets the name shown for the organization inside `tx`.
pub async fn set_display_name(
    tx: &mut Tx,
    org: Uuid,
    display_name: &str,
) -> Result<(), sqlx::Error> {
    on_tx!(tx, conn => {
        sqlx::query("update organization set display_name = $1 where id = $2")
            .bind(display_name)
            .bind(org)
            .execute(&mut *conn)
            .await?;
    });
    Ok(())
}

/// The organizations `user` belongs to, by name.
pub async fn list_for_user(db: &Db, user: Uuid) -> Result<Vec<Membership>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_as::<_, Membership>(
        "select o.id, o.name, o.display_name, m.role
         from org_member m join organization o on o.id = m.org_id
         where m.user_id = $1
         order by o.name"
    )
    .bind(user)
    .fetch_all(pool)
    .await)
}

/// The organization called `name`, with `user`'s role in it (`None` for either when absent).
pub async fn find_for_user(
    db: &Db,
    name: &str,
    user: Uuid,
) -> Result<Option<(Org, Option<OrgRole>)>, sqlx::Error> {
    struct Row {
        org: Org,
        role: Option<String>,
    }
    from_row!(Row { role } flatten { org });
    let row = on_db!(db, pool => sqlx::query_as::<_, Row>(
        "select o.id, o.name, o.display_name, m.role
         from organization o left join org_member m on m.org_id = o.id and m.user_id = $2
         where o.name = $1"
    )
    .bind(name)
    .bind(user)
    .fetch_optional(pool)
    .await)?;
    Ok(row.map(|r| {
        let role = r.role.as_deref().and_then(|s| OrgRole::parse(s).ok());
        (r.org, role)
    }))
}

/// The regions an organization allows, by name.
pub async fn regions(db: &Db, org: Uuid) -> Result<Vec<String>, sqlx::Error> {
    on_db!(db, pool => sqlx::query_scalar::<_, String>(
        "select region from org_region where org_id = $1 order by region"
    )
    .bind(org)
    .fetch_all(pool)
    .await)
}
