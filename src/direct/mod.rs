//! The Worldline Direct client: v1HMAC signing (pure), wire types, typed operations, errors, retry decisions,
//! webhook verification. It takes a base URL and credentials and knows nothing else about the other end.
