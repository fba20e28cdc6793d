//! Path-based logical IDs, following AWS CDK's `makeUniqueId` so templates migrated from CDK keep their IDs.
//!
//! 1. Components equal to `Default` are removed.
//! 2. A single remaining component is stripped of non-alphanumerics and used as is (no hash), so hand-written
//!    templates can be migrated without renames.
//! 3. Otherwise the ID is a readable part (components concatenated, `Resource` dropped, a component skipped when
//!    the previous kept one ends with it, non-alphanumerics stripped, cut at 240 characters) followed by the
//!    first 8 hex characters (upper case) of the MD5 of the components joined with `/`.

use md5::{Digest, Md5};

const HIDDEN_ID: &str = "Default";
const HIDDEN_FROM_HUMAN_ID: &str = "Resource";
const MAX_HUMAN_LEN: usize = 240;
const HASH_LEN: usize = 8;
/// CloudFormation's limit on logical IDs.
pub const MAX_LOGICAL_ID_LEN: usize = 255;

/// Compute the logical ID for a path below the stack (components without the stack itself).
/// Returns `None` when nothing is left after removing `Default` components.
pub fn make_unique_id(components: &[&str]) -> Option<String> {
    let visible = || components.iter().copied().filter(|c| *c != HIDDEN_ID);
    let mut rest = visible();
    let first = rest.next()?;
    let single = rest.next().is_none();
    let mut id = String::with_capacity(components.iter().map(|c| c.len()).sum::<usize>() + HASH_LEN);
    if single {
        push_stripped(first, &mut id);
        if id.len() <= MAX_LOGICAL_ID_LEN {
            return Some(id);
        }
    } else {
        push_human_part(visible(), &mut id);
    }
    id.truncate(MAX_HUMAN_LEN);
    push_path_hash(visible(), &mut id);
    Some(id)
}

/// True when `id` is a valid CloudFormation logical ID: `^[A-Za-z0-9]{1,255}$`.
pub fn is_valid_logical_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_LOGICAL_ID_LEN && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The first [`HASH_LEN`] upper-case hex digits of the MD5 of the components joined with `/`.
fn push_path_hash<'a>(components: impl Iterator<Item = &'a str>, out: &mut String) {
    let mut md5 = Md5::new();
    for (i, c) in components.enumerate() {
        if i > 0 {
            md5.update(b"/");
        }
        md5.update(c.as_bytes());
    }
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in &md5.finalize()[..HASH_LEN / 2] {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 15)]));
    }
}

/// The readable part: the components stripped and concatenated, a component skipped when the previous kept
/// one ends with it, `Resource` left out.
fn push_human_part<'a>(components: impl Iterator<Item = &'a str>, out: &mut String) {
    let mut last_kept: Option<&str> = None;
    for c in components {
        if last_kept.is_some_and(|prev| prev.ends_with(c)) {
            continue;
        }
        last_kept = Some(c);
        if c != HIDDEN_FROM_HUMAN_ID {
            push_stripped(c, out);
        }
    }
}

/// `s` without its non-alphanumeric characters.
fn push_stripped(s: &str, out: &mut String) {
    if s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        out.push_str(s);
    } else {
        out.extend(s.chars().filter(char::is_ascii_alphanumeric));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_cdk_examples() {
        assert_eq!(
            make_unique_id(&["Vpc", "PublicSubnet1", "Subnet"]).as_deref(),
            Some("VpcPublicSubnet1Subnet5C2D37C4")
        );
        assert_eq!(
            make_unique_id(&["MyBucket", "Resource"]).as_deref(),
            Some("MyBucketF68F3FF0")
        );
        assert_eq!(make_unique_id(&["My-Bucket"]).as_deref(), Some("MyBucket"));
    }

    #[test]
    fn default_components_are_hidden() {
        assert_eq!(make_unique_id(&["Default"]), None);
        assert_eq!(make_unique_id(&["Bucket", "Default"]).as_deref(), Some("Bucket"));
        assert_eq!(
            make_unique_id(&["Vpc", "Default", "PublicSubnet1", "Subnet"]),
            make_unique_id(&["Vpc", "PublicSubnet1", "Subnet"])
        );
    }

    #[test]
    fn repeated_suffix_is_skipped_in_readable_part() {
        let id = make_unique_id(&["Pipeline", "Pipeline"]).unwrap();
        assert!(id.starts_with("Pipeline") && id.len() == "Pipeline".len() + 8, "{id}");
    }

    #[test]
    fn long_paths_stay_within_limits() {
        let long = "A".repeat(300);
        let id = make_unique_id(&[&long, "B"]).unwrap();
        assert_eq!(id.len(), 248);
        assert!(is_valid_logical_id(&id));
        let single = make_unique_id(&[&long]).unwrap();
        assert_eq!(single.len(), 248);
    }

    /// The implementation before the one-buffer rewrite (session 8), kept as the reference.
    fn reference(components: &[&str]) -> Option<String> {
        let strip = |s: &str| -> String { s.chars().filter(|c| c.is_ascii_alphanumeric()).collect() };
        let hash = |cs: &[&str]| -> String {
            let digest = Md5::digest(cs.join("/").as_bytes());
            digest[..HASH_LEN / 2].iter().map(|b| format!("{b:02X}")).collect()
        };
        let cs: Vec<&str> = components.iter().copied().filter(|c| *c != HIDDEN_ID).collect();
        match cs.as_slice() {
            [] => None,
            [single] => {
                let id = strip(single);
                if id.len() <= MAX_LOGICAL_ID_LEN {
                    Some(id)
                } else {
                    Some(format!("{}{}", &id[..MAX_HUMAN_LEN], hash(&cs)))
                }
            }
            _ => {
                let mut kept: Vec<&str> = Vec::new();
                for c in &cs {
                    if kept.last().is_some_and(|p| p.ends_with(c)) {
                        continue;
                    }
                    kept.push(c);
                }
                let mut human: String = kept
                    .iter()
                    .filter(|c| **c != HIDDEN_FROM_HUMAN_ID)
                    .map(|c| strip(c))
                    .collect();
                human.truncate(MAX_HUMAN_LEN);
                Some(format!("{human}{}", hash(&cs)))
            }
        }
    }

    #[test]
    fn matches_the_reference_on_every_small_path() {
        let long = "Ab-".repeat(90);
        let pieces = [
            "Default",
            "Resource",
            "Vpc",
            "PublicSubnet1",
            "Subnet",
            "My-Bucket",
            "net",
            "é",
            "",
            &long,
        ];
        let mut checked = 0;
        for a in pieces {
            assert_eq!(make_unique_id(&[a]), reference(&[a]), "{a:?}");
            for b in pieces {
                for c in pieces {
                    for path in [vec![a, b], vec![a, b, c], vec![c, a, b, a]] {
                        assert_eq!(make_unique_id(&path), reference(&path), "{path:?}");
                        checked += 1;
                    }
                }
            }
        }
        assert_eq!(checked, 3 * 1000);
    }

    #[test]
    fn validity() {
        assert!(is_valid_logical_id("Vpc1"));
        assert!(!is_valid_logical_id(""));
        assert!(!is_valid_logical_id("A-B"));
        assert!(!is_valid_logical_id(&"A".repeat(256)));
    }
}
