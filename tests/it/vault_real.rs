//! The vault on this machine's real Linux keychain backends: the Secret Service (gnome-keyring over D-Bus) and kernel
//! keyutils. These need a running, unlocked keyring, so plain `cargo test` ignores them (with the reason), and
//! `scripts/keychain-test.sh` runs them with `--ignored` after starting one (CI runs that script and checks that
//! both ran).

use cadodesk::vault::{Backend, Secret, Vault, VaultError};

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
#[ignore = "needs an unlocked Secret Service: scripts/keychain-test.sh starts one and runs this"]
fn vault_stores_reads_and_deletes_on_the_secret_service() {
    round_trip(Backend::Platform);
}

#[test]
#[ignore = "needs a session keyring: scripts/keychain-test.sh starts one and runs this"]
fn vault_stores_reads_and_deletes_on_kernel_keyutils() {
    round_trip(Backend::KernelKeyutils);
}
