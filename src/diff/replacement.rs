//! Whether a changed property replaces its resource, from the update table generated out of the vendored
//! registry schemas (`registry.rs`).

use serde_json::Value;

use super::registry::CREATE_ONLY;

/// Whether a change replaces the resource. Ordered from the weakest to the strongest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Replacement {
    /// An update in place (the schema marks nothing create-only on this path). The registry schemas carry no
    /// interruption data, so an update may still interrupt the resource.
    Never,
    /// No vendored schema for this type: it may or may not replace.
    Unknown,
    /// A `conditionalCreateOnlyProperties` path (replaced depending on the change), or a reference to a
    /// parameter whose default changed or to a resource that may be replaced.
    Conditional,
    /// A `createOnlyProperties` path, a changed `Type`, or a reference to a replaced resource.
    Always,
}

impl Replacement {
    /// The word used in text and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Replacement::Never => "never",
            Replacement::Unknown => "unknown",
            Replacement::Conditional => "conditional",
            Replacement::Always => "always",
        }
    }

    /// The word used for a modification in text output (`diff`, and `deploy`'s change list).
    pub fn label(self) -> &'static str {
        match self {
            Replacement::Always => "replace",
            Replacement::Conditional => "may replace",
            Replacement::Unknown => "may replace (no schema for this type)",
            Replacement::Never => "update",
        }
    }
}

/// The update behaviour of resource types. [`ResourceSchemas::vendored`] knows the types vendored in
/// `constructs/schemas/`; [`ResourceSchemas::new`] builds a table for tests or other sources.
#[derive(Clone, Debug)]
pub struct ResourceSchemas {
    types: Vec<TypeEntry>,
}

#[derive(Clone, Debug)]
struct TypeEntry {
    type_name: String,
    create_only: Vec<Vec<String>>,
    conditional: Vec<Vec<String>>,
}

fn split(path: &str) -> Vec<String> {
    path.split('/').map(str::to_owned).collect()
}

impl ResourceSchemas {
    /// The table generated from the vendored registry schemas (cfn-lint 1.58.0).
    pub fn vendored() -> ResourceSchemas {
        ResourceSchemas::new(CREATE_ONLY.iter().map(|(t, c, cc)| (*t, c.to_vec(), cc.to_vec())))
    }

    /// A table from `(type, createOnlyProperties, conditionalCreateOnlyProperties)`, paths below
    /// `/properties/` separated by `/` (`DnsOptions/PrivateDnsPreference`; `*` is any list item).
    pub fn new<'a>(rows: impl IntoIterator<Item = (&'a str, Vec<&'a str>, Vec<&'a str>)>) -> ResourceSchemas {
        let mut types: Vec<TypeEntry> = rows
            .into_iter()
            .map(|(t, c, cc)| TypeEntry {
                type_name: t.to_owned(),
                create_only: c.into_iter().map(split).collect(),
                conditional: cc.into_iter().map(split).collect(),
            })
            .collect();
        types.sort_by(|a, b| a.type_name.cmp(&b.type_name));
        ResourceSchemas { types }
    }

    /// Whether the table knows this type.
    pub fn knows(&self, type_name: &str) -> bool {
        self.entry(type_name).is_some()
    }

    fn entry(&self, type_name: &str) -> Option<&TypeEntry> {
        self.types
            .binary_search_by(|e| e.type_name.as_str().cmp(type_name))
            .ok()
            .map(|i| &self.types[i])
    }

    /// The replacement caused by a change at `path` below `Properties` (keys and list indexes). A change
    /// on a create-only path, inside one, or of an object that holds one (the whole `DnsOptions` when
    /// `DnsOptions/PrivateDnsPreference` is create-only) replaces.
    pub fn replacement(&self, type_name: &str, path: &[String]) -> Replacement {
        let Some(e) = self.entry(type_name) else {
            return Replacement::Unknown;
        };
        let hits = |list: &[Vec<String>]| list.iter().any(|p| overlaps(p, path));
        if hits(&e.create_only) {
            Replacement::Always
        } else if hits(&e.conditional) {
            Replacement::Conditional
        } else {
            Replacement::Never
        }
    }

    /// [`ResourceSchemas::replacement`] for a change from `old` to `new` at `path`: when a create-only path
    /// lies deeper (the whole `DnsOptions` changed, `DnsOptions/PrivateDnsPreference` is create-only), it
    /// counts only when the values at that deeper path differ (or cannot be told apart: an intrinsic
    /// function stands on the way).
    pub fn replacement_of(
        &self,
        type_name: &str,
        path: &[String],
        old: Option<&Value>,
        new: Option<&Value>,
    ) -> Replacement {
        let Some(e) = self.entry(type_name) else {
            return Replacement::Unknown;
        };
        let hits = |list: &[Vec<String>]| {
            list.iter().any(|p| {
                overlaps(p, path)
                    && (p.len() <= path.len() || {
                        let rest = &p[path.len()..];
                        match (values_at(rest, old), values_at(rest, new)) {
                            (Some(a), Some(b)) => a != b,
                            _ => true,
                        }
                    })
            })
        };
        if hits(&e.create_only) {
            Replacement::Always
        } else if hits(&e.conditional) {
            Replacement::Conditional
        } else {
            Replacement::Never
        }
    }
}

/// The values at `rest` below `v` (`*`: every list item); `None` when an intrinsic function or a value of
/// another shape is on the way, so nothing can be said.
fn values_at<'a>(rest: &[String], v: Option<&'a Value>) -> Option<Vec<&'a Value>> {
    let Some(v) = v else { return Some(Vec::new()) };
    let Some((first, tail)) = rest.split_first() else {
        return Some(vec![v]);
    };
    match v {
        _ if super::values::is_intrinsic(v) => None,
        Value::Object(m) => values_at(tail, m.get(first)),
        Value::Array(items) if first == "*" => {
            let mut out = Vec::new();
            for item in items {
                out.extend(values_at(tail, Some(item))?);
            }
            Some(out)
        }
        _ => None,
    }
}

/// Whether one path is a prefix of the other (`*` matches any list index).
fn overlaps(pattern: &[String], path: &[String]) -> bool {
    pattern
        .iter()
        .zip(path)
        .all(|(p, s)| p == s || (p == "*" && s.bytes().all(|b| b.is_ascii_digit())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<String> {
        split(s)
    }

    #[test]
    fn table() {
        let s = ResourceSchemas::vendored();
        let cases = [
            ("AWS::EC2::VPC", "CidrBlock", Replacement::Always),
            ("AWS::EC2::VPC", "EnableDnsHostnames", Replacement::Never),
            ("AWS::EC2::VPC", "InstanceTenancy", Replacement::Conditional),
            ("AWS::EC2::VPC", "Tags/0/Value", Replacement::Never),
            ("AWS::EC2::VPCEndpoint", "DnsOptions", Replacement::Always),
            (
                "AWS::EC2::VPCEndpoint",
                "DnsOptions/PrivateDnsPreference",
                Replacement::Always,
            ),
            ("AWS::EC2::VPCEndpoint", "DnsOptions/Other", Replacement::Never),
            (
                "AWS::ECS::TaskDefinition",
                "ContainerDefinitions/0/Image",
                Replacement::Always,
            ),
            ("AWS::KMS::Key", "Description", Replacement::Never),
            ("Custom::Thing", "X", Replacement::Unknown),
        ];
        for (t, path, want) in cases {
            assert_eq!(s.replacement(t, &p(path)), want, "{t} {path}");
        }
        assert!(s.knows("AWS::S3::Bucket") && !s.knows("AWS::EC2::Instance"));
    }

    #[test]
    fn a_changed_parent_replaces_only_when_a_create_only_value_below_it_changes() {
        let s = ResourceSchemas::vendored();
        let t = "AWS::EC2::VPCEndpoint";
        let dns = |pref: &str| serde_json::json!({"DnsRecordIpType": "ipv4", "PrivateDnsPreference": pref});
        let other = serde_json::json!({"DnsRecordIpType": "ipv4"});
        let none = None;
        assert_eq!(
            s.replacement_of(t, &p("DnsOptions"), none, Some(&other)),
            Replacement::Never
        );
        assert_eq!(
            s.replacement_of(t, &p("DnsOptions"), none, Some(&dns("ALL_DOMAINS"))),
            Replacement::Always
        );
        assert_eq!(
            s.replacement_of(t, &p("DnsOptions"), Some(&dns("A")), Some(&dns("A"))),
            Replacement::Never
        );
        let intrinsic = serde_json::json!({"Fn::If": ["C", {}, {}]});
        assert_eq!(
            s.replacement_of(t, &p("DnsOptions"), none, Some(&intrinsic)),
            Replacement::Always
        );
        assert_eq!(
            s.replacement_of(t, &p("ServiceName"), none, Some(&other)),
            Replacement::Always
        );
    }

    #[test]
    fn wildcards_match_list_items_only() {
        let s = ResourceSchemas::new([("AWS::X::Y", vec!["Tags/*/Key"], vec![])]);
        assert_eq!(s.replacement("AWS::X::Y", &p("Tags/3/Key")), Replacement::Always);
        assert_eq!(s.replacement("AWS::X::Y", &p("Tags/3/Value")), Replacement::Never);
        assert_eq!(s.replacement("AWS::X::Y", &p("Tags/a/Key")), Replacement::Never);
    }
}
