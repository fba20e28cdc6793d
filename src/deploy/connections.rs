//! One client per placement of the deploy file ([`super::placement`]): an environment's stacks and its service
//! instances' stacks go where the environment is; a pipeline stays with the standard chain's region and
//! credentials unless its service is placed, as in Proton.

use indexmap::IndexMap;

use super::cfn_client::CfnClient;
use super::config::DeployFile;
use super::orchestrate::Upload;
use super::placement::Placement;
use super::s3::TemplateUpload;

/// Where one stack goes: the client of its placement and the bucket for its large templates.
#[derive(Clone)]
pub struct Stage<'a> {
    pub cfn: &'a CfnClient,
    pub upload: Upload<'a>,
    /// The CloudFormation service role (top-level `role_arn`) when it is of the stack's account: a stack in
    /// another account (through an environment's role) is deployed with that role's own rights.
    pub service_role: Option<&'a str>,
}

/// How a deploy with the standard chain's placement says where to name a bucket.
const MAIN_BUCKET: &str = "name a bucket of this account and Region with `--s3-bucket BUCKET` or `s3_bucket: BUCKET` \
                           in the deploy file";

struct Placed {
    placement: Placement,
    upload: Option<TemplateUpload>,
    /// Its `s3_bucket` key in the deploy file, for the error when a large template has no bucket.
    key: String,
}

/// The clients of a deploy file's placements (made without calling AWS: roles are assumed on first use).
pub struct Connections<'c> {
    pub main: &'c CfnClient,
    main_upload: Option<TemplateUpload>,
    service_role: Option<String>,
    clients: IndexMap<Placement, CfnClient>,
    environments: IndexMap<String, Placed>,
    pipelines: IndexMap<String, Placed>,
}

impl<'c> Connections<'c> {
    /// `main_upload`: the top-level `s3_bucket` (or `--s3-bucket`), for stacks of the standard chain's placement.
    pub fn new(
        main: &'c CfnClient,
        file: &DeployFile,
        main_upload: Option<TemplateUpload>,
    ) -> Result<Connections<'c>, String> {
        let mut clients = IndexMap::new();
        let mut place = |placement: &Placement| -> Result<(), String> {
            if !placement.is_default() && !clients.contains_key(placement) {
                clients.insert(placement.clone(), main.placed(placement)?);
            }
            Ok(())
        };
        let mut environments = IndexMap::new();
        for env in &file.environments {
            place(&env.placement)?;
            let placed = Placed {
                placement: env.placement.clone(),
                upload: env.upload.clone(),
                key: format!("environments.{}.s3_bucket", env.name),
            };
            environments.insert(env.name.clone(), placed);
        }
        let mut pipelines = IndexMap::new();
        for svc in &file.services {
            place(&svc.placement)?;
            let placed = Placed {
                placement: svc.placement.clone(),
                upload: svc.upload.clone(),
                key: format!("services.{}.s3_bucket", svc.name),
            };
            pipelines.insert(svc.name.clone(), placed);
        }
        Ok(Connections {
            main,
            main_upload,
            service_role: file.role_arn.clone(),
            clients,
            environments,
            pipelines,
        })
    }

    /// Where environment `name`'s stack and its service instances' stacks go.
    pub fn environment(&self, name: &str) -> Stage<'_> {
        self.stage(self.environments.get(name))
    }

    /// Where service `name`'s pipeline goes.
    pub fn pipeline(&self, name: &str) -> Stage<'_> {
        self.stage(self.pipelines.get(name))
    }

    /// Where stacks of the standard chain's placement go.
    pub fn standard(&self) -> Stage<'_> {
        self.stage(None)
    }

    fn stage<'a>(&'a self, placed: Option<&'a Placed>) -> Stage<'a> {
        let main = || Stage {
            cfn: self.main,
            service_role: self.service_role.as_deref(),
            upload: match &self.main_upload {
                Some(u) => Upload::To(u),
                None => Upload::Missing(MAIN_BUCKET.to_owned()),
            },
        };
        let Some(placed) = placed.filter(|p| !p.placement.is_default()) else {
            return main();
        };
        let Some(cfn) = self.clients.get(&placed.placement) else {
            return main();
        };
        let upload = match &placed.upload {
            Some(u) => Upload::To(u),
            None => Upload::Missing(format!(
                "these stacks run in {} ({}), so the top-level bucket does not serve them: set `{}` to a bucket of \
                 that account and Region",
                cfn.region(),
                placed.placement.label(),
                placed.key
            )),
        };
        let other_account = |role: &super::placement::AssumeRole| {
            let service_role = self.service_role.as_deref().unwrap_or_default();
            !service_role.contains(&format!(":iam::{}:", role.account))
        };
        let service_role = match &placed.placement.role {
            Some(role) if other_account(role) => None,
            _ => self.service_role.as_deref(),
        };
        Stage {
            cfn,
            upload,
            service_role,
        }
    }
}
