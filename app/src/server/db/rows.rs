//! Reading a query's row into a struct, by column name, on both databases: what sqlx's
//! `#[derive(FromRow)]` writes, as a declarative macro. sqlx's derive macros would build both
//! database drivers a second time, for the compiler's host, in every build of the server.

/// Implements `sqlx::FromRow` for a struct on SQLite's and PostgreSQL's rows. Every field is
/// named once: plain fields read the column of their name, `default` ones read it if the query
/// has it (else `Default::default()`), `flatten` ones are read by their own `FromRow` from the
/// same row. A field left out or named twice does not compile.
///
/// ```text
/// from_row!(User { id, username } default { pending_invitations });
/// from_row!(Row { password_hash } flatten { user });
/// ```
macro_rules! from_row {
    ($ty:ident { $($field:ident),* $(,)? }
        $(default { $($dfield:ident),* $(,)? })?
        $(flatten { $($ffield:ident),* $(,)? })?) => {
        $crate::server::db::from_row!(@impl sqlx::sqlite::SqliteRow, $ty
            { $($field),* } { $($($dfield),*)? } { $($($ffield),*)? });
        $crate::server::db::from_row!(@impl sqlx::postgres::PgRow, $ty
            { $($field),* } { $($($dfield),*)? } { $($($ffield),*)? });
    };
    (@impl $row:ty, $ty:ident { $($field:ident),* } { $($dfield:ident),* } { $($ffield:ident),* }) => {
        impl<'r> sqlx::FromRow<'r, $row> for $ty {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                #[allow(unused_imports)]
                use sqlx::Row as _;
                Ok(Self {
                    $($field: row.try_get(stringify!($field))?,)*
                    $($dfield: match row.try_get(stringify!($dfield)) {
                        Err(sqlx::Error::ColumnNotFound(_)) => Default::default(),
                        read => read?,
                    },)*
                    $($ffield: sqlx::FromRow::from_row(row)?,)*
                })
            }
        }
    };
}

pub(crate) use from_row;
