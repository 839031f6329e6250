//! Scopes a token can carry, and the rate-limit families of endpoints.

use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! scopes {
    ($($variant:ident => $name:literal),+ $(,)?) => {
        /// What a token may do. `admin` implies every other scope.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Scope { $($variant),+ }

        impl Scope {
            pub const ALL: &'static [Scope] = &[$(Scope::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self { $(Scope::$variant => $name),+ }
            }

            pub fn parse(s: &str) -> Result<Self, UnknownScope> {
                match s {
                    $($name => Ok(Scope::$variant),)+
                    other => Err(UnknownScope(other.to_owned())),
                }
            }
        }
    };
}

scopes! {
    LanesRead => "lanes:read",
    LanesWrite => "lanes:write",
    ToolsInvoke => "tools:invoke",
    TokensWrite => "tokens:write",
    AuditRead => "audit:read",
    AuditExport => "audit:export",
    ContextRead => "context:read",
    ContextWrite => "context:write",
    CiWrite => "ci:write",
    ChangelogWrite => "changelog:write",
    PoliciesWrite => "policies:write",
    ApprovalsWrite => "approvals:write",
    BudgetsWrite => "budgets:write",
    MembersWrite => "members:write",
    IntegrationsRead => "integrations:read",
    IntegrationsWrite => "integrations:write",
    IssuesRead => "issues:read",
    IssuesWrite => "issues:write",
    Admin => "admin",
}

/// A scope name that is not in [`Scope::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownScope(pub String);

impl std::fmt::Display for UnknownScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let known: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        write!(f, "unknown scope `{}` (known: {})", self.0, known.join(", "))
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Scope::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Scope {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Scope".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
        schemars::json_schema!({
            "description": "What a token may do; `admin` implies every other scope.",
            "type": "string",
            "enum": names,
        })
    }
}

impl Scope {
    /// Whether a token holding `held` may use an endpoint needing `self`.
    pub fn granted_by(self, held: &[Scope]) -> bool {
        held.iter().any(|h| *h == self || *h == Scope::Admin)
    }
}

/// Rate-limit families from the reference: per token and family, per minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RateFamily {
    Read,
    Write,
    Bulk,
}

impl RateFamily {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Bulk => "bulk",
        }
    }

    /// Requests per minute on the free plan (Team ×5, Enterprise ×20).
    pub const fn base_per_minute(self) -> u32 {
        match self {
            Self::Read => 120,
            Self::Write => 30,
            Self::Bulk => 6,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_names_round_trip_and_admin_implies_all() {
        for s in Scope::ALL {
            assert_eq!(Scope::parse(s.as_str()), Ok(*s));
            assert!(s.granted_by(&[Scope::Admin]));
        }
        assert!(!Scope::TokensWrite.granted_by(&[Scope::LanesRead]));
        assert!(Scope::parse("lanes:delete").unwrap_err().to_string().contains("lanes:read"));
    }
}
