//! The ARM JSON shapes the Defender normaliser reads (only the fields it uses), and serde
//! helpers for values whose JSON type varies (alert vs assessment `status`), keys in any case
//! (`resourceDetails`), and strings borrowed from the body where serde's `Cow` impl copies.

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde_json::value::RawValue;

type Str<'a> = Cow<'a, str>;

#[derive(Deserialize)]
pub(super) struct Page<'a> {
    #[serde(borrow, default)]
    pub(super) value: Vec<&'a RawValue>,
    #[serde(default, rename = "nextLink")]
    pub(super) next_link: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Item<'a> {
    #[serde(borrow, default)]
    pub(super) id: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) name: Option<Str<'a>>,
    #[serde(borrow, default, rename = "type")]
    pub(super) kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) properties: Option<Props<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct Props<'a> {
    // ---- alerts (2022-01-01)
    #[serde(borrow, default)]
    pub(super) alert_type: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) alert_display_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) description: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) severity: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) intent: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) start_time_utc: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) end_time_utc: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) time_generated_utc: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) processing_end_time_utc: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) compromised_entity: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) resource_identifiers: Option<Vec<ResourceIdentifier<'a>>>,
    #[serde(borrow, default)]
    pub(super) remediation_steps: Option<Vec<Str<'a>>>,
    #[serde(borrow, default)]
    pub(super) alert_uri: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) product_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) product_component_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) vendor_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) techniques: Option<Vec<Str<'a>>>,
    #[serde(borrow, default)]
    pub(super) sub_techniques: Option<Vec<Str<'a>>>,
    #[serde(default)]
    pub(super) is_incident: Option<bool>,
    /// A string on alerts, an object on assessments.
    #[serde(borrow, default)]
    pub(super) status: Option<Status<'a>>,
    // ---- assessments (2021-06-01)
    #[serde(borrow, default)]
    pub(super) display_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) resource_details: Option<ResourceDetails<'a>>,
    #[serde(borrow, default)]
    pub(super) links: Option<Links<'a>>,
    #[serde(borrow, default)]
    pub(super) metadata: Option<Metadata<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ResourceIdentifier<'a> {
    #[serde(borrow, default, rename = "type")]
    pub(super) kind: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) azure_resource_id: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Links<'a> {
    #[serde(borrow, default)]
    pub(super) azure_portal_uri: Option<Str<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Metadata<'a> {
    #[serde(borrow, default)]
    pub(super) display_name: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) description: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) remediation_description: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) severity: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) categories: Option<Vec<Str<'a>>>,
    #[serde(borrow, default)]
    pub(super) user_impact: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) implementation_effort: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) threats: Option<Vec<Str<'a>>>,
    #[serde(borrow, default)]
    pub(super) policy_definition_id: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(super) struct AssessmentStatus<'a> {
    #[serde(borrow, default)]
    pub(super) code: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) cause: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) description: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) first_evaluation_date: Option<Str<'a>>,
    #[serde(borrow, default)]
    pub(super) status_change_date: Option<Str<'a>>,
}

pub(super) enum Status<'a> {
    Alert(Str<'a>),
    Assessment(AssessmentStatus<'a>),
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Status<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Status<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a status string or object")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Status<'a>, E> {
                Ok(Status::Alert(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Status<'a>, E> {
                Ok(Status::Alert(Cow::Owned(v.to_owned())))
            }
            fn visit_map<M: MapAccess<'de>>(self, m: M) -> Result<Status<'a>, M::Error> {
                AssessmentStatus::deserialize(de::value::MapAccessDeserializer::new(m))
                    .map(Status::Assessment)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Status<'a>, E> {
                Ok(Status::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Status<'a>, E> {
                Ok(Status::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Status<'a>, E> {
                Ok(Status::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Status<'a>, E> {
                Ok(Status::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Status<'a>, E> {
                Ok(Status::Other)
            }
            fn visit_seq<S: de::SeqAccess<'de>>(self, mut s: S) -> Result<Status<'a>, S::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Status::Other)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// `resourceDetails`: `Source`/`source`, `Id`/`id` … in any case (ARM has sent both).
#[derive(Default)]
pub(super) struct ResourceDetails<'a> {
    pub(super) source: Option<Str<'a>>,
    pub(super) id: Option<Str<'a>>,
    pub(super) machine_name: Option<Str<'a>>,
}

/// A string borrowed from the input when it has no escapes (`Cow`'s own impl always copies).
struct BStr<'a>(Str<'a>);

impl<'de: 'a, 'a> Deserialize<'de> for BStr<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = BStr<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<BStr<'a>, E> {
                Ok(BStr(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<BStr<'a>, E> {
                Ok(BStr(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

/// A string value, or None for null and any other JSON type.
struct MaybeStr<'a>(Option<Str<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for MaybeStr<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Option::<OneOf<'a>>::deserialize(d)?;
        Ok(MaybeStr(v.and_then(|o| o.0)))
    }
}

struct OneOf<'a>(Option<Str<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for OneOf<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = OneOf<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<OneOf<'a>, E> {
                Ok(OneOf(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<OneOf<'a>, E> {
                Ok(OneOf(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<OneOf<'a>, E> {
                Ok(OneOf(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<OneOf<'a>, E> {
                Ok(OneOf(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<OneOf<'a>, E> {
                Ok(OneOf(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<OneOf<'a>, E> {
                Ok(OneOf(None))
            }
            fn visit_seq<S: de::SeqAccess<'de>>(self, mut s: S) -> Result<OneOf<'a>, S::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(OneOf(None))
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<OneOf<'a>, M::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(OneOf(None))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for ResourceDetails<'a> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = ResourceDetails<'a>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("resource details")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut m: M) -> Result<Self::Value, M::Error> {
                let mut r = ResourceDetails::default();
                while let Some(BStr(k)) = m.next_key::<BStr<'a>>()? {
                    let slot = if k.eq_ignore_ascii_case("source") {
                        &mut r.source
                    } else if k.eq_ignore_ascii_case("id") {
                        &mut r.id
                    } else if k.eq_ignore_ascii_case("machineName") {
                        &mut r.machine_name
                    } else {
                        m.next_value::<IgnoredAny>()?;
                        continue;
                    };
                    *slot = m.next_value::<MaybeStr<'a>>()?.0;
                }
                Ok(r)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}
