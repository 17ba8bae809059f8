//! The vault on this machine's real Linux keychain backends: the Secret Service (gnome-keyring over D-Bus) and kernel
//! keyutils. These need a running, unlocked keyring, so they run only when `CADODESK_REAL_KEYCHAIN=1`, which
//! `scripts/keychain-test.sh` sets after starting one (CI runs that script). Without it they are skipped, so
//! `cargo test` needs nothing but the toolchain.

use cadodesk::vault::{Backend, Secret, Vault, VaultError};

fn enabled() -> bool {
    std::env::var("CADODESK_REAL_KEYCHAIN").is_ok_and(|v| v == "1")
}

fn round_trip(backend: Backend) {
    let vault = Vault::open(backend).expect("the keychain is usable");
    let merchant = format!("real-{}", std::process::id());
    let secret = Secret::new(format!("s3cr3t-{}", uuid::Uuid::new_v4()));
    vault
        .store_api_secret(&merchant, "key-1", &secret)
        .expect("store");
    let loaded = vault.load_api_secret(&merchant, "key-1").expect("load");
    assert_eq!(loaded.expose(), secret.expose());
    // A second vault (as after a restart of the app) reads the same secret.
    let again = Vault::open(backend).expect("reopen");
    assert_eq!(
        again
            .load_api_secret(&merchant, "key-1")
            .expect("load again")
            .expose(),
        secret.expose()
    );
    vault.delete_api_secret(&merchant, "key-1").expect("delete");
    assert!(matches!(
        vault.load_api_secret(&merchant, "key-1"),
        Err(VaultError::NotFound { .. })
    ));
}

#[test]
fn vault_stores_reads_and_deletes_on_the_secret_service() {
    if !enabled() {
        eprintln!("skipped: set CADODESK_REAL_KEYCHAIN=1 with an unlocked Secret Service");
        return;
    }
    round_trip(Backend::Platform);
}

#[test]
fn vault_stores_reads_and_deletes_on_kernel_keyutils() {
    if !enabled() {
        eprintln!("skipped: set CADODESK_REAL_KEYCHAIN=1 inside a session keyring");
        return;
    }
    round_trip(Backend::KernelKeyutils);
}
