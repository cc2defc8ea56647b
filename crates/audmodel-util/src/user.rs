//! The user name, found as the reference finds it.

/// The user name as Python's `getpass.getuser()`: the first of `LOGNAME`,
/// `USER`, `LNAME`, `USERNAME` that is set and not empty, else the account
/// name. The reference writes it as a header's `author` and as the `owner`
/// of S3 objects.
pub fn user_name() -> String {
    ["LOGNAME", "USER", "LNAME", "USERNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
        .or_else(|| whoami::username().ok())
        .unwrap_or_default()
}
