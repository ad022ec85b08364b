//! The server's own settings (the library's are `todo_core::Config`): CORS origins, the trusted client-address
//! header, the log format,
//! and Rocket's configuration as the binary uses it; with the pure rules that say whether each can work.
//!
//! A leaf: it uses nothing else of this crate, so every layer may read these types and report a [`ConfigError`].

use rocket::figment::Figment;

/// Settings of the HTTP layer, from the environment ([`ServerOptions::from_env`]) or from code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerOptions {
    /// Exact origins (`https://app.example.com`) allowed to call the API from a browser; none by default.
    pub cors_allowed_origins: Vec<String>,
    /// The header a trusted reverse proxy puts the client's address in (`ROCKET_IP_HEADER`), which the abuse
    /// limits then count; `None` (the default, also for [`crate::mount`]): the TCP peer's address.
    pub client_ip_header: Option<String>,
}

/// A server setting that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {variable}: {reason}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub variable: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl ServerOptions {
    /// Reads `CORS_ALLOWED_ORIGINS` (comma-separated origins) and `ROCKET_IP_HEADER` (the header a trusted reverse
    /// proxy puts the client's address in; unset, empty or `false`: none). The abuse limits are the library's:
    /// `todo_core::Config::from_env` reads them.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`ServerOptions::from_env`], with the variables looked up by `lookup`.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let origins = lookup("CORS_ALLOWED_ORIGINS").unwrap_or_default();
        let header = lookup("ROCKET_IP_HEADER").map(|header| header.trim().to_owned());
        Ok(Self::default()
            .with_cors_allowed_origins(origins.split(',').map(str::trim).filter(|origin| !origin.is_empty()))?
            .with_client_ip_header(header.filter(|header| !header.is_empty() && header != "false")))
    }

    /// Allows these origins; each must be `scheme://host[:port]` with nothing after it.
    pub fn with_cors_allowed_origins<S: Into<String>>(
        mut self,
        origins: impl IntoIterator<Item = S>,
    ) -> Result<Self, ConfigError> {
        self.cors_allowed_origins = origins.into_iter().map(Into::into).collect();
        validate_origins(&self.cors_allowed_origins)?;
        Ok(self)
    }

    /// Trusts `header` (e.g. `X-Real-IP`) for the client's address, as set by a reverse proxy in front of every
    /// request; `None` (the default) trusts no header and counts the TCP peer.
    pub fn with_client_ip_header(mut self, header: Option<String>) -> Self {
        self.client_ip_header = header;
        self
    }

    /// Refuses options that cannot work: origins that are not origins.
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        validate_origins(&self.cors_allowed_origins)
    }
}

/// Refuses anything but `scheme://host[:port]` (no path, no trailing slash), as browsers send in `Origin`.
fn validate_origins(origins: &[String]) -> Result<(), ConfigError> {
    match origins.iter().find(|origin| !is_origin(origin)) {
        Some(bad) => Err(ConfigError {
            variable: "CORS_ALLOWED_ORIGINS",
            reason: format!("`{bad}` is not an origin like https://app.example.com"),
        }),
        None => Ok(()),
    }
}

/// `http` or `https`, `://`, then a host (and port) that parses as a URL's, and nothing after it.
fn is_origin(origin: &str) -> bool {
    let plain = match origin.split_once("://") {
        Some((scheme, rest)) => {
            matches!(scheme, "http" | "https") && !rest.is_empty() && !rest.contains(['/', '?', '#', ' ', '@'])
        }
        None => false,
    };
    // The CORS fairing parses each origin as a URL: what passes here passes there.
    plain && url::Url::parse(origin).is_ok_and(|url| url.origin().is_tuple())
}

/// How the binary writes log lines (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Readable lines (`text`, the default), in colour on a terminal; Rocket writes its own lines itself.
    #[default]
    Text,
    /// One JSON object per line (`json`), Rocket's own lines included.
    Json,
}

impl LogFormat {
    /// Reads `LOG_FORMAT`: `text` (or unset) or `json`.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::parse(std::env::var("LOG_FORMAT").ok().as_deref())
    }

    fn parse(value: Option<&str>) -> Result<Self, ConfigError> {
        match value {
            None | Some("" | "text") => Ok(Self::Text),
            Some("json") => Ok(Self::Json),
            Some(_) => Err(ConfigError { variable: "LOG_FORMAT", reason: "must be text or json".into() }),
        }
    }
}

/// Rocket's configuration (`Rocket.toml`, `ROCKET_*`), except that client addresses come from the TCP peer unless
/// `ROCKET_IP_HEADER` names the header a trusted reverse proxy sets: Rocket's default trusts `X-Real-IP` from
/// anyone, which would let a client pick the address its failed logins are counted against.
///
/// In the JSON format Rocket's own lines are JSON too (see [`crate::logging`]), without colour codes, and off
/// unless `ROCKET_LOG_LEVEL` says otherwise.
pub fn rocket_figment(format: LogFormat) -> Figment {
    let mut figment = rocket::Config::figment();
    if format == LogFormat::Json {
        figment = figment.merge(("cli_colors", false));
        if std::env::var_os("ROCKET_LOG_LEVEL").is_none() {
            figment = figment.merge(("log_level", "off"));
        }
    }
    if std::env::var_os("ROCKET_IP_HEADER").is_some() {
        figment
    } else {
        figment.merge(("ip_header", false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn defaults_apply_without_variables() {
        assert_eq!(ServerOptions::from_lookup(env(&[])).expect("valid"), ServerOptions::default());
    }

    #[test]
    fn origins_and_the_trusted_header_are_read() {
        let options = ServerOptions::from_lookup(env(&[
            ("CORS_ALLOWED_ORIGINS", "https://a.example, http://localhost:5173"),
            ("ROCKET_IP_HEADER", " X-Real-IP "),
        ]))
        .expect("valid");
        assert_eq!(options.cors_allowed_origins, ["https://a.example", "http://localhost:5173"]);
        assert_eq!(options.client_ip_header.as_deref(), Some("X-Real-IP"));
        for none in ["", "false"] {
            let lookup = move |name: &str| (name == "ROCKET_IP_HEADER").then(|| none.to_owned());
            assert_eq!(ServerOptions::from_lookup(lookup).expect("valid").client_ip_header, None, "{none:?}");
        }
    }

    #[test]
    fn a_bad_origin_names_its_variable() {
        let error = ServerOptions::from_lookup(env(&[("CORS_ALLOWED_ORIGINS", "example.com")])).expect_err("invalid");
        assert_eq!(error.variable, "CORS_ALLOWED_ORIGINS");
    }

    #[test]
    fn anything_but_an_origin_is_refused() {
        for bad in ["app.example.com", "https://app.example.com/", "ftp://x", "https://", "*", "http://[::1"] {
            let error = validate_origins(&[bad.to_owned()]).expect_err(bad);
            assert_eq!(error.variable, "CORS_ALLOWED_ORIGINS");
        }
        validate_origins(&["https://app.example.com".into(), "http://localhost:5173".into()]).expect("origins");
    }

    #[test]
    fn the_log_format_is_text_or_json() {
        assert_eq!(LogFormat::parse(None).expect("unset"), LogFormat::Text);
        assert_eq!(LogFormat::parse(Some("")).expect("empty"), LogFormat::Text);
        assert_eq!(LogFormat::parse(Some("text")).expect("text"), LogFormat::Text);
        assert_eq!(LogFormat::parse(Some("json")).expect("json"), LogFormat::Json);
        assert_eq!(LogFormat::parse(Some("yaml")).expect_err("yaml").variable, "LOG_FORMAT");
    }
}
