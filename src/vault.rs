//! The only module that touches the OS keychain.
