//! The centre's schema, in versioned migrations applied in one transaction each, and the roles: a group for the
//! tills, one for readers (the accountant), and one login role per till, made by the administrator.

use super::{CentralError, connect};

/// Each version's SQL, in order. Version 1: the Ed25519 check, the tills, their entries, the roles' rights.
/// Version 2: the tables derived from the entries (with the ledger's own rule for a refund's forward moves), the
/// refund guard across tills.
fn migrations() -> [(i32, Vec<String>); 2] {
    [
        (
            1,
            vec![
                include_str!("sql/ed25519.sql").to_string(),
                include_str!("sql/v1.sql").to_string(),
            ],
        ),
        (
            2,
            vec![
                include_str!("sql/v2.sql")
                    .replace("{{FORWARD_MOVES}}", crate::ledger::forward_moves()),
            ],
        ),
    ]
}

/// The schema version this program brings a centre to.
pub const SCHEMA_VERSION: i32 = 2;

/// The group roles (cluster-wide), made when missing: two centres initialised at once on one server may both try, and one finds it made.
const ROLES: &str = "DO $$ BEGIN
    BEGIN
        CREATE ROLE cadodesk_tills NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
    BEGIN
        CREATE ROLE cadodesk_readers NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END;
END $$";

/// Creates or upgrades the centre's schema with the administrator's URL: the schema version it is at afterwards.
pub async fn init(admin_url: &str) -> Result<i32, CentralError> {
    init_up_to(admin_url, SCHEMA_VERSION).await
}

/// [`init`], stopping at version `last` (an older centre, for the upgrade's own tests).
pub async fn init_up_to(admin_url: &str, last: i32) -> Result<i32, CentralError> {
    let mut client = connect(admin_url).await?;
    let pg = |e: tokio_postgres::Error| CentralError::from_pg(&e);
    client.batch_execute(ROLES).await.map_err(pg)?;
    let tx = client.transaction().await.map_err(pg)?;
    tx.batch_execute(
        "CREATE SCHEMA IF NOT EXISTS cadodesk;
         CREATE TABLE IF NOT EXISTS cadodesk.schema_version (
             version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
         LOCK TABLE cadodesk.schema_version IN EXCLUSIVE MODE;",
    )
    .await
    .map_err(pg)?;
    let current: i32 = tx
        .query_one(
            "SELECT COALESCE(MAX(version), 0) FROM cadodesk.schema_version",
            &[],
        )
        .await
        .map_err(pg)?
        .get(0);
    let mut version = current;
    for (v, parts) in migrations() {
        if v <= current || v > last {
            continue;
        }
        for sql in &parts {
            tx.batch_execute(sql).await.map_err(pg)?;
        }
        tx.execute(
            "INSERT INTO cadodesk.schema_version (version) VALUES ($1)",
            &[&v],
        )
        .await
        .map_err(pg)?;
        version = v;
    }
    tx.commit().await.map_err(pg)?;
    Ok(version)
}

/// A till code: 1 to 8 capital letters or digits.
fn valid_code(code: &str) -> bool {
    (1..=8).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// The login role of till `code` in `database`: letters, digits and `_` only, at most 63 bytes.
fn role_name(database: &str, code: &str) -> String {
    let db: String = database
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(40)
        .collect();
    format!("cadodesk_{db}_{}", code.to_ascii_lowercase())
}

/// `admin_url` with another user and password: the same server and database.
fn url_for(admin_url: &str, user: &str, password: &str) -> Result<String, CentralError> {
    let (scheme, rest) = admin_url
        .split_once("://")
        .ok_or_else(|| CentralError::Url("no scheme".into()))?;
    let host_part = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    Ok(format!("{scheme}://{user}:{password}@{host_part}"))
}

/// Registers till `code` (the administrator's URL) and makes its login role with a new random password: the
/// till's connection URL, which is shown once and kept in the till's keychain (or `CADODESK_CENTRAL_URL`).
pub async fn add_till(
    admin_url: &str,
    code: &str,
    shop: Option<&str>,
) -> Result<String, CentralError> {
    if !valid_code(code) {
        return Err(CentralError::Url(format!(
            "till code '{code}': use 1 to 8 capital letters or digits, such as T02"
        )));
    }
    let password = crate::ledger::journal::hex(&rand::random::<[u8; 24]>());
    let mut client = connect(admin_url).await?;
    let pg = |e: tokio_postgres::Error| CentralError::from_pg(&e);
    let tx = client.transaction().await.map_err(pg)?;
    // Roles belong to the whole server: the database's name keeps two centres on one server apart.
    let database: String = tx
        .query_one("SELECT current_database()", &[])
        .await
        .map_err(pg)?
        .get(0);
    let role = role_name(&database, code);
    let known = tx
        .query_opt("SELECT 1 FROM cadodesk.tills WHERE code = $1", &[&code])
        .await
        .map_err(pg)?;
    if known.is_some() {
        return Err(CentralError::Exists(format!(
            "till {code} is registered at the centre already; each till is added once"
        )));
    }
    // A role name and a password made of checked characters only: nothing typed reaches the statement.
    tx.batch_execute(&format!(
        "CREATE ROLE {role} LOGIN PASSWORD '{password}' IN ROLE cadodesk_tills"
    ))
    .await
    .map_err(pg)?;
    tx.execute(
        "INSERT INTO cadodesk.tills (code, role_name, shop) VALUES ($1, $2, $3)",
        &[&code, &role, &shop],
    )
    .await
    .map_err(pg)?;
    tx.commit().await.map_err(pg)?;
    url_for(admin_url, &role, &password)
}

/// Makes a login role that reads every till and changes nothing (the accountant's), with a new random password:
/// its connection URL, shown once.
pub async fn add_reader(admin_url: &str, name: &str) -> Result<String, CentralError> {
    if name.is_empty() || name.len() > 16 || !name.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(CentralError::Url(format!(
            "reader name '{name}': use 1 to 16 letters or digits, such as compta"
        )));
    }
    let password = crate::ledger::journal::hex(&rand::random::<[u8; 24]>());
    let mut client = connect(admin_url).await?;
    let pg = |e: tokio_postgres::Error| CentralError::from_pg(&e);
    let tx = client.transaction().await.map_err(pg)?;
    let database: String = tx
        .query_one("SELECT current_database()", &[])
        .await
        .map_err(pg)?
        .get(0);
    let role = format!("{}_r", role_name(&database, name));
    let exists = tx
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])
        .await
        .map_err(pg)?;
    if exists.is_some() {
        return Err(CentralError::Exists(format!(
            "reader {name} exists already; choose another name"
        )));
    }
    // Checked characters only reach the statement.
    tx.batch_execute(&format!(
        "CREATE ROLE {role} LOGIN PASSWORD '{password}' IN ROLE cadodesk_readers"
    ))
    .await
    .map_err(pg)?;
    tx.commit().await.map_err(pg)?;
    url_for(admin_url, &role, &password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_till_url_is_the_admin_url_with_the_till_s_credentials() {
        assert_eq!(
            url_for(
                "postgres://admin:s3cret@db.example:5432/shop?sslmode=require",
                "t",
                "p"
            )
            .ok(),
            Some("postgres://t:p@db.example:5432/shop?sslmode=require".into())
        );
        assert_eq!(
            url_for("postgresql://db:5432/shop", "t", "p").ok(),
            Some("postgresql://t:p@db:5432/shop".into())
        );
        assert!(url_for("db:5432", "t", "p").is_err());
        assert!(valid_code("T02") && !valid_code("t02") && !valid_code("T0'; DROP"));
        assert_eq!(role_name("shop-Paris", "T02"), "cadodesk_shop_paris_t02");
        assert!(role_name(&"x".repeat(100), "T0000001").len() <= 63);
    }
}
