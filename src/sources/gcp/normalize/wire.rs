//! The `ListFindings` JSON as far as the console reads it (proto3 JSON mapping of
//! `google.cloud.securitycenter.v2`: lowerCamelCase names, enums as strings). Unknown fields
//! are skipped; strings are borrowed from the body when they have no escapes.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde_json::value::RawValue;

/// A JSON string, borrowed from the body unless it has escapes. (serde's own `Cow<str>`
/// inside an `Option` or a `Vec` always allocates.)
pub(super) struct Str<'a>(pub(super) Cow<'a, str>);

impl std::ops::Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Page<'a> {
    #[serde(borrow, default)]
    pub(super) list_findings_results: Vec<&'a RawValue>,
    #[serde(default)]
    pub(super) next_page_token: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Item<'a> {
    #[serde(borrow, default)]
    pub(super) finding: Option<GFinding<'a>>,
    #[serde(borrow, default)]
    pub(super) resource: Option<GResource<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GFinding<'a> {
    #[serde(borrow, default)]
    pub(super) name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) canonical_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) parent: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) resource_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) state: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) category: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) external_uri: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) source_properties: Option<SourceProperties<'a>>,
    #[serde(borrow, default)]
    pub(super) event_time: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) create_time: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) severity: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) mute: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) mute_update_time: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) mute_initiator: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) finding_class: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) indicator: Option<Indicator<'a>>,
    #[serde(borrow, default)]
    pub(super) vulnerability: Option<Vulnerability<'a>>,
    #[serde(borrow, default)]
    pub(super) mitre_attack: Option<MitreAttack<'a>>,
    #[serde(borrow, default)]
    pub(super) compliances: Vec<GCompliance<'a>>,
    #[serde(borrow, default)]
    pub(super) parent_display_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) description: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) next_steps: Option<Str<'a>>,
}

/// `sourceProperties` is a map of arbitrary JSON values: only string values are used.
#[derive(Deserialize)]
pub(super) struct SourceProperties<'a> {
    #[serde(borrow, default, rename = "Recommendation")]
    pub(super) recommendation: Loose<'a>,
    #[serde(borrow, default, rename = "Explanation")]
    pub(super) explanation: Loose<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Indicator<'a> {
    #[serde(borrow, default)]
    pub(super) ip_addresses: Vec<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) domains: Vec<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) uris: Vec<Str<'a>>,
}

#[derive(Deserialize)]
pub(super) struct Vulnerability<'a> {
    #[serde(borrow, default)]
    pub(super) cve: Option<Cve<'a>>,
}

#[derive(Deserialize)]
pub(super) struct Cve<'a> {
    #[serde(borrow, default)]
    pub(super) id: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct MitreAttack<'a> {
    #[serde(borrow, default)]
    pub(super) primary_tactic: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) primary_techniques: Vec<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) additional_tactics: Vec<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) additional_techniques: Vec<Str<'a>>,
}

#[derive(Deserialize)]
pub(super) struct GCompliance<'a> {
    #[serde(borrow, default)]
    pub(super) standard: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) version: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) ids: Vec<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GResource<'a> {
    #[serde(borrow, default)]
    pub(super) name: Option<Str<'a>>,
    #[serde(borrow, default, rename = "type")]
    pub(super) kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) location: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) gcp_metadata: Option<GcpMetadata<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GcpMetadata<'a> {
    /// `//cloudresourcemanager.googleapis.com/projects/NUMBER`
    #[serde(borrow, default)]
    pub(super) project: Option<Str<'a>>,
    /// The project id.
    #[serde(borrow, default)]
    pub(super) project_display_name: Option<Str<'a>>,
}

/// A string where the schema allows any JSON value; other values read as absent.
#[derive(Default)]
pub(super) struct Loose<'a>(pub(super) Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for Loose<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Loose<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Loose(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Loose(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Loose(Some(Cow::Owned(v))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Loose(None))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
                while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Loose(None))
            }
        }
        d.deserialize_any(V)
    }
}
