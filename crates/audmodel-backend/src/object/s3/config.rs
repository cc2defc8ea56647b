//! Where S3 settings come from, in the reference's order (SPEC 6):
//! host-specific environment variables, then the generic ones, then the
//! `[host]` section of the INI file named by `MINIO_CONFIG_FILE`.

use std::path::PathBuf;

/// Settings of one S3 host as the environment and the INI file give them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HostSettings {
    pub(crate) access_key: Option<String>,
    pub(crate) secret_key: Option<String>,
    pub(crate) secure: bool,
    pub(crate) region: Option<String>,
}

/// `MINIO_ACCESS_KEY_{suffix}`: the host upper-cased, every other character `_`.
pub(crate) fn env_suffix(host: &str) -> String {
    host.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// The INI file's name when `MINIO_CONFIG_FILE` is not set.
const DEFAULT_CONFIG_FILE: &str = "~/.config/audbackend/minio.cfg";

fn config_file() -> Option<PathBuf> {
    let name =
        std::env::var("MINIO_CONFIG_FILE").unwrap_or_else(|_| DEFAULT_CONFIG_FILE.to_owned());
    match name.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME").map(|home| PathBuf::from(home).join(rest)),
        None => Some(PathBuf::from(name)),
    }
}

/// Why requests to `host` go unsigned, for an error the server's refusal
/// of an anonymous request becomes: which half of a key was missing, and
/// every place a key is read from, so a user can put one there.
pub(crate) fn missing_credentials(host: &str, settings: &HostSettings) -> String {
    let named = std::env::var_os("MINIO_CONFIG_FILE").is_some();
    let ini = config_file().map_or_else(
        || DEFAULT_CONFIG_FILE.to_owned(),
        |p| p.display().to_string(),
    );
    missing_credentials_from(host, settings, &ini, named)
}

fn missing_credentials_from(host: &str, settings: &HostSettings, ini: &str, named: bool) -> String {
    let found = match (&settings.access_key, &settings.secret_key) {
        (Some(_), None) => format!("an access key but no secret key was found for '{host}'"),
        (None, Some(_)) => format!("a secret key but no access key was found for '{host}'"),
        _ => format!("no credentials were found for '{host}'"),
    };
    let suffix = env_suffix(host);
    let ini_source = match named {
        true => "named by MINIO_CONFIG_FILE",
        false => "the default of MINIO_CONFIG_FILE",
    };
    format!(
        "{found} (they are read from MINIO_ACCESS_KEY_{suffix} and MINIO_SECRET_KEY_{suffix}, \
         from MINIO_ACCESS_KEY and MINIO_SECRET_KEY, or from access_key and secret_key in \
         the section [{host}] of {ini}, {ini_source})"
    )
}

/// Reads the settings of `host`. An unreadable INI file counts as absent,
/// as in the reference (which only reads files that exist).
pub(crate) fn host_settings(host: &str) -> HostSettings {
    host_settings_from(host, &|name| std::env::var(name).ok(), config_file())
}

/// [`host_settings`] with the environment and the INI file given.
fn host_settings_from(
    host: &str,
    env: &dyn Fn(&str) -> Option<String>,
    ini_file: Option<PathBuf>,
) -> HostSettings {
    let section = ini_file
        .filter(|path| path.is_file())
        .and_then(|path| ini::Ini::load_from_file(path).ok())
        .and_then(|ini| ini.section(Some(host)).cloned());
    let ini_value = |key: &str| section.as_ref().and_then(|s| s.get(key)).map(str::to_owned);
    let suffix = env_suffix(host);
    let pick = |name: &str, key: &str| {
        env(&format!("{name}_{suffix}"))
            .or_else(|| env(name))
            .or_else(|| ini_value(key))
    };
    HostSettings {
        access_key: pick("MINIO_ACCESS_KEY", "access_key"),
        secret_key: pick("MINIO_SECRET_KEY", "secret_key"),
        secure: ini_value("secure").is_none_or(|v| is_true(&v)),
        region: ini_value("region").filter(|r| !r.is_empty()),
    }
}

/// `secure` is false when empty, `false`, `no`, `off` or `0` (any case).
fn is_true(value: &str) -> bool {
    !matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "" | "false" | "no" | "off" | "0"
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn env_suffix_of_host_with_port() {
        assert_eq!(
            env_suffix("s3.eu-north-1.amazonaws.com"),
            "S3_EU_NORTH_1_AMAZONAWS_COM"
        );
        assert_eq!(env_suffix("127.0.0.1:9000"), "127_0_0_1_9000");
    }

    #[test]
    fn environment_wins_over_ini_and_host_specific_over_generic() {
        let dir = tempfile::tempdir().unwrap();
        let ini = dir.path().join("minio.cfg");
        std::fs::write(
            &ini,
            "[other:1]\naccess_key = no\n[h.x:9000]\naccess_key = ini-a\nsecret_key = ini-s\nsecure =\nregion = eu-1\n",
        )
        .unwrap();
        let none = |_: &str| None;
        let got = host_settings_from("h.x:9000", &none, Some(ini.clone()));
        let want = HostSettings {
            access_key: Some("ini-a".into()),
            secret_key: Some("ini-s".into()),
            secure: false,
            region: Some("eu-1".into()),
        };
        assert_eq!(got, want);
        let env = |name: &str| match name {
            "MINIO_ACCESS_KEY_H_X_9000" => Some("host-a".to_owned()),
            "MINIO_ACCESS_KEY" => Some("gen-a".to_owned()),
            "MINIO_SECRET_KEY" => Some("gen-s".to_owned()),
            _ => None,
        };
        let got = host_settings_from("h.x:9000", &env, Some(ini));
        assert_eq!(
            (got.access_key.as_deref(), got.secret_key.as_deref()),
            (Some("host-a"), Some("gen-s"))
        );
        let bare = host_settings_from("h.x:9000", &none, Some(dir.path().join("missing.cfg")));
        assert_eq!(
            bare,
            HostSettings {
                secure: true,
                ..HostSettings::default()
            }
        );
    }

    #[test]
    fn missing_credentials_name_every_place_a_key_is_read_from() {
        let none = HostSettings::default();
        let text = missing_credentials_from("h.x:9000", &none, "/etc/minio.cfg", true);
        assert_eq!(
            text,
            "no credentials were found for 'h.x:9000' (they are read from \
             MINIO_ACCESS_KEY_H_X_9000 and MINIO_SECRET_KEY_H_X_9000, from MINIO_ACCESS_KEY \
             and MINIO_SECRET_KEY, or from access_key and secret_key in the section [h.x:9000] \
             of /etc/minio.cfg, named by MINIO_CONFIG_FILE)"
        );
        let half = HostSettings {
            access_key: Some("a".into()),
            ..HostSettings::default()
        };
        let text = missing_credentials_from("h", &half, "minio.cfg", false);
        assert!(
            text.starts_with("an access key but no secret key was found for 'h' ("),
            "{text}"
        );
        assert!(
            text.ends_with("the default of MINIO_CONFIG_FILE)"),
            "{text}"
        );
    }

    #[test]
    fn secure_values() {
        for off in ["", "false", "False", "no", "0", "off"] {
            assert!(!is_true(off), "{off:?}");
        }
        for on in ["true", "1", "yes", "True"] {
            assert!(is_true(on), "{on:?}");
        }
    }
}
