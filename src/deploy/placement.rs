//! Where an environment's stacks (and its service instances' stacks) run: Proton's *environment account
//! connections*. Per environment (and per service, for its pipeline) the deploy file may name a `region` and a
//! `role_arn` to assume (with `external_id` and `session_name`), and the `s3_bucket`/`s3_prefix` for templates
//! over the inline limit there. This module is the checked data; [`super::connections`] turns it into clients.

use regex::Regex;

use super::s3::TemplateUpload;

/// The default `RoleSessionName` of the assumed role (it shows in CloudTrail as who deployed).
pub const DEFAULT_SESSION_NAME: &str = "proton-synth";

/// A role to assume (STS AssumeRole) with the standard chain's credentials.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AssumeRole {
    pub arn: String,
    /// The role's account, from its ARN.
    pub account: String,
    pub external_id: Option<String>,
    pub session_name: String,
}

/// Region and credentials of some stacks. `Placement::default()`: the standard chain's region and credentials.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Placement {
    pub region: Option<String>,
    pub role: Option<AssumeRole>,
}

impl Placement {
    /// Same account and region as the standard chain.
    pub fn is_default(&self) -> bool {
        self.region.is_none() && self.role.is_none()
    }

    /// For messages and the call log: `eu-west-1 as arn:aws:iam::…:role/…`, `eu-west-1`, `as arn:…`.
    pub fn label(&self) -> String {
        match (&self.region, &self.role) {
            (Some(r), Some(role)) => format!("{r} as {}", role.arn),
            (Some(r), None) => r.clone(),
            (None, Some(role)) => format!("as {}", role.arn),
            (None, None) => "default".to_owned(),
        }
    }
}

/// The placement keys of an environment or a service, as written in the deploy file.
#[derive(Clone, Debug, Default)]
pub struct RawPlacement<'a> {
    pub region: Option<&'a str>,
    pub role_arn: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub session_name: Option<&'a str>,
    pub s3_bucket: Option<&'a str>,
    pub s3_prefix: Option<&'a str>,
}

/// A checked placement and its upload bucket. Every problem is pushed to `errors` as a complete line
/// (`error: FILE: OWNER.KEY: what; how to fix`), so all of them are reported at once.
pub fn check(
    shown: &str,
    owner: &str,
    raw: &RawPlacement<'_>,
    errors: &mut Vec<String>,
) -> (Placement, Option<TemplateUpload>) {
    let mut fail = |key: &str, what: String| errors.push(format!("error: {shown}: {owner}.{key}: {what}"));
    let region = raw.region.filter(|r| {
        let ok = region_pattern().is_match(r);
        if !ok {
            fail(
                "region",
                format!("`{r}` is not an AWS Region code; write one like us-east-1, eu-west-1 or ap-southeast-2"),
            );
        }
        ok
    });
    let role = match raw.role_arn {
        Some(arn) => match role_arn_pattern().captures(arn) {
            Some(c) => Some(AssumeRole {
                arn: arn.to_owned(),
                account: c[1].to_owned(),
                external_id: raw.external_id.map(str::to_owned),
                session_name: raw.session_name.unwrap_or(DEFAULT_SESSION_NAME).to_owned(),
            }),
            None => {
                fail(
                    "role_arn",
                    format!(
                        "`{arn}` is not an IAM role ARN; write arn:aws:iam::ACCOUNT:role/NAME (12-digit account, \
                         the role the deploy assumes in that account)"
                    ),
                );
                None
            }
        },
        None => None,
    };
    if raw.role_arn.is_none() {
        for (key, value) in [("external_id", raw.external_id), ("session_name", raw.session_name)] {
            if value.is_some() {
                fail(
                    key,
                    "is set without role_arn; add the role to assume or remove it".to_owned(),
                );
            }
        }
    }
    if let Some(id) = raw.external_id.filter(|id| !external_id_pattern().is_match(id)) {
        fail(
            "external_id",
            format!("`{id}` is not an STS external ID; use 2 to 1224 of letters, digits and +=,.@:/-"),
        );
    }
    if let Some(name) = raw.session_name.filter(|n| !session_name_pattern().is_match(n)) {
        fail(
            "session_name",
            format!("`{name}` is not an STS session name; use 2 to 64 of letters, digits and +=,.@-"),
        );
    }
    let upload = match (raw.s3_bucket, raw.s3_prefix) {
        (Some(bucket), prefix) => TemplateUpload::new(bucket, prefix, &format!("error: {shown}: {owner}.s3_bucket"))
            .map_err(|e| errors.push(e))
            .ok(),
        (None, Some(_)) => {
            errors.push(format!(
                "error: {shown}: {owner}.s3_prefix is set without s3_bucket; add the bucket or remove the prefix"
            ));
            None
        }
        (None, None) => None,
    };
    (
        Placement {
            region: region.map(str::to_owned),
            role,
        },
        upload,
    )
}

fn region_pattern() -> Regex {
    // Commercial, GovCloud, China, ISO partitions: us-east-1, us-gov-west-1, cn-north-1, us-isob-east-1.
    Regex::new(r"^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$").expect("a valid pattern")
}

fn role_arn_pattern() -> Regex {
    Regex::new(r"^arn:aws(?:-[a-z]+)*:iam::([0-9]{12}):role/[A-Za-z0-9_+=,.@/-]{1,512}$").expect("a valid pattern")
}

fn external_id_pattern() -> Regex {
    Regex::new(r"^[A-Za-z0-9_+=,.@:/-]{2,1224}$").expect("a valid pattern")
}

fn session_name_pattern() -> Regex {
    Regex::new(r"^[A-Za-z0-9_+=,.@-]{2,64}$").expect("a valid pattern")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(raw: RawPlacement<'_>) -> Result<(Placement, Option<TemplateUpload>), Vec<String>> {
        let mut errors = Vec::new();
        let out = check("f.yaml", "environments.Prod", &raw, &mut errors);
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    #[test]
    fn a_region_and_a_role_are_read_with_the_roles_account() {
        let (placement, upload) = checked(RawPlacement {
            region: Some("eu-west-1"),
            role_arn: Some("arn:aws:iam::222233334444:role/platform/deployer"),
            external_id: Some("ext-42"),
            s3_bucket: Some("templates-eu"),
            ..RawPlacement::default()
        })
        .unwrap();
        let role = placement.role.clone().unwrap();
        assert_eq!(
            (
                role.account.as_str(),
                role.session_name.as_str(),
                role.external_id.as_deref()
            ),
            ("222233334444", "proton-synth", Some("ext-42"))
        );
        assert_eq!(placement.region.as_deref(), Some("eu-west-1"));
        assert_eq!(
            placement.label(),
            "eu-west-1 as arn:aws:iam::222233334444:role/platform/deployer"
        );
        assert_eq!(upload.unwrap().bucket, "templates-eu");
        for region in ["us-gov-west-1", "cn-north-1", "ap-southeast-2", "us-isob-east-1"] {
            let raw = RawPlacement {
                region: Some(region),
                ..RawPlacement::default()
            };
            assert!(checked(raw).is_ok(), "{region}");
        }
        assert!(checked(RawPlacement::default()).unwrap().0.is_default());
    }

    #[test]
    fn every_bad_key_is_reported_at_once() {
        let errors = checked(RawPlacement {
            region: Some("EU-West"),
            role_arn: Some("arn:aws:iam::2222:user/me"),
            external_id: Some("a b"),
            session_name: Some("x"),
            s3_prefix: Some("p"),
            ..RawPlacement::default()
        })
        .unwrap_err();
        assert_eq!(errors.len(), 5, "{errors:#?}");
        assert!(errors[0].starts_with(
            "error: f.yaml: environments.Prod.region: `EU-West` is not an AWS Region code; write one like"
        ));
        assert!(errors[1].starts_with(
            "error: f.yaml: environments.Prod.role_arn: `arn:aws:iam::2222:user/me` is not an IAM role ARN"
        ));
        assert!(errors[2].contains("external_id: `a b` is not an STS external ID"));
        assert!(errors[3].contains("session_name: `x` is not an STS session name"));
        assert!(errors[4].contains("environments.Prod.s3_prefix is set without s3_bucket"));
        let errors = checked(RawPlacement {
            external_id: Some("ext-42"),
            ..RawPlacement::default()
        })
        .unwrap_err();
        assert_eq!(
            errors,
            [
                "error: f.yaml: environments.Prod.external_id: is set without role_arn; add the role to assume or \
              remove it"
            ]
        );
    }
}
