//! [`BuildSpec`]: buildspec text with user values passed as environment variables; [`docker_build_spec`].

use crate::ecr;
use crate::value::{fns, ElementKind, Expr, Value};

/// A typed buildspec (version 0.2). Every command and file is a `Value<String>`: literals, placeholders or
/// intrinsic functions (`fns::join` of such parts is flattened).
#[derive(Clone, Debug, Default)]
pub struct BuildSpec {
    /// `env.variables` (text of the buildspec: no user-supplied values, see [`BuildSpec::project_env`]).
    pub env: Vec<(String, Value<String>)>,
    /// Environment variables the project must set for this buildspec (merged into the project's
    /// `Environment.EnvironmentVariables` by [`Project::new`]): the way user-supplied values (placeholders,
    /// parameters) reach commands, as `$NAME`, without being spliced into the buildspec text.
    pub project_env: Vec<(String, Value<String>)>,
    pub install: Vec<Value<String>>,
    pub pre_build: Vec<Value<String>>,
    pub build: Vec<Value<String>>,
    pub post_build: Vec<Value<String>>,
    /// `artifacts.files` (relative to the source directory).
    pub artifact_files: Vec<Value<String>>,
}

/// Text parts of a rendered buildspec.
pub(super) struct Parts {
    pub(super) parts: Vec<Expr>,
    pub(super) literal: String,
}

impl Parts {
    pub(super) fn text(&mut self, s: &str) {
        self.literal.push_str(s);
    }

    pub(super) fn flush(&mut self) {
        if !self.literal.is_empty() {
            self.parts.push(Expr::Str(std::mem::take(&mut self.literal)));
        }
    }

    /// Literal text; newlines continue the block scalar at `indent`.
    pub(super) fn literal(&mut self, s: &str, indent: &str) {
        self.text(&s.replace('\n', &format!("\n{indent}")));
    }

    pub(super) fn value(&mut self, e: &Expr, indent: &str) {
        match e {
            Expr::Str(s) => self.literal(s, indent),
            Expr::Join(d, list) => match list.as_ref() {
                Expr::List(items) => {
                    for (i, item) in items.iter().enumerate() {
                        if i > 0 {
                            self.literal(d, indent);
                        }
                        self.value(item, indent);
                    }
                }
                _ => {
                    self.flush();
                    self.parts.push(e.clone());
                }
            },
            other => {
                self.flush();
                self.parts.push(other.clone());
            }
        }
    }

    pub(super) fn finish(mut self) -> Value<String> {
        self.flush();
        if self.parts.len() == 1 {
            if let Expr::Str(s) = &self.parts[0] {
                return Value::from(s.clone());
            }
        }
        Value::from_expr(Expr::Join(String::new(), Box::new(Expr::List(self.parts))))
    }
}

pub(super) fn valid_env_name(n: &str) -> bool {
    let mut c = n.chars();
    c.next().is_some_and(|f| f.is_ascii_alphabetic() || f == '_') && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

impl BuildSpec {
    /// True when no phase has a command.
    pub fn is_empty(&self) -> bool {
        self.install.is_empty() && self.pre_build.is_empty() && self.build.is_empty() && self.post_build.is_empty()
    }

    /// Problems of the buildspec, as messages.
    pub fn validate(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.is_empty() {
            out.push("build spec has no commands in any phase".to_owned());
        }
        for (name, _) in &self.env {
            if !valid_env_name(name) {
                out.push(format!(
                    "build spec env variable {name:?} is not a valid name (letters, digits and _, not starting with a digit)"
                ));
            }
        }
        let texts = self.env.iter().map(|(n, v)| (format!("env variable {n}"), v)).chain(
            [
                ("install", &self.install),
                ("pre_build", &self.pre_build),
                ("build", &self.build),
                ("post_build", &self.post_build),
                ("artifacts.files", &self.artifact_files),
            ]
            .into_iter()
            .flat_map(|(phase, list)| list.iter().enumerate().map(move |(i, v)| (format!("{phase}[{i}]"), v))),
        );
        for (at, v) in texts {
            let mut user = Vec::new();
            v.expr().walk(&mut |e| match e {
                Expr::Placeholder(p) => user.push(format!("{{{{ {} }}}}", p.jinja)),
                Expr::RefName(n) => user.push(format!("Ref {n}")),
                Expr::Ref(r) if r.kind == ElementKind::Parameter => user.push("(a template parameter)".to_owned()),
                _ => {}
            });
            // A placeholder's plain form is usually a parameter Ref: report the placeholder only.
            if let Some(first) = user.first() {
                out.push(format!(
                    "build spec {at} splices the user-supplied value {first} into the buildspec text, where a newline or quote in it would break or rewrite the buildspec; pass it in `project_env` (e.g. (\"VALUE\", value)) and use \"$VALUE\" in the command"
                ));
            }
        }
        out
    }

    /// The buildspec as YAML text (`Fn::Join` when it has late-bound parts).
    pub fn render(&self) -> Value<String> {
        let mut p = Parts {
            parts: Vec::new(),
            literal: String::new(),
        };
        p.text("version: 0.2\n");
        if !self.env.is_empty() {
            p.text("env:\n  variables:\n");
            for (name, v) in &self.env {
                p.text(&format!("    {name}: |-\n      "));
                p.value(v.expr(), "      ");
                p.text("\n");
            }
        }
        p.text("phases:\n");
        for (phase, cmds) in [
            ("install", &self.install),
            ("pre_build", &self.pre_build),
            ("build", &self.build),
            ("post_build", &self.post_build),
        ] {
            if cmds.is_empty() {
                continue;
            }
            p.text(&format!("  {phase}:\n    commands:\n"));
            for c in cmds {
                p.text("      - |-\n        ");
                match c.as_literal() {
                    Some(s) => p.literal(s.trim_start(), "        "),
                    None => p.value(c.expr(), "        "),
                }
                p.text("\n");
            }
        }
        if !self.artifact_files.is_empty() {
            p.text("artifacts:\n  files:\n");
            for f in &self.artifact_files {
                p.text("    - |-\n      ");
                p.value(f.expr(), "      ");
                p.text("\n");
            }
        }
        p.finish()
    }
}

/// Inputs of [`docker_build_spec`].
#[derive(Clone, Debug)]
pub struct DockerBuild<'a> {
    /// Path of the Dockerfile in the source, e.g. the placeholder `pipeline.inputs.dockerfile` (reaches the
    /// build as the project variable `DOCKERFILE`).
    pub dockerfile: Value<String>,
    /// The unit test command, e.g. the placeholder `pipeline.inputs.unit_test_command` (reaches the build as
    /// the project variable `UNIT_TEST_COMMAND`, run with `bash -c`).
    pub unit_test_command: Value<String>,
    pub repository: &'a ecr::Repository,
    /// The image tag, shell text of the buildspec; default the build number and the first 8 characters of
    /// the commit (`<n>-<commit>`: unique, as immutable tags need, and starting with a digit as Docker tags
    /// must even without a commit).
    pub image_tag: Option<Value<String>>,
    /// The container name written to `imagedefinitions.json` (the ECS deploy action replaces this
    /// container's image).
    pub container_name: Value<String>,
    /// The folder of the source to build in (the Docker context, where the Dockerfile path and the unit test
    /// command are relative to), e.g. the placeholder `pipeline.inputs.service_dir` (reaches the build as the
    /// project variable `SOURCE_DIR`); default the source's root.
    pub source_dir: Option<Value<String>>,
}

/// The file the ECS deploy action reads.
pub const IMAGE_DEFINITIONS_FILE: &str = "imagedefinitions.json";
/// A file holding only the image URI (for CloudFormation deploys or other consumers).
pub const IMAGE_URI_FILE: &str = "image-uri.txt";

/// The buildspec of a container build: log in to ECR, run the unit tests, build with `-f <dockerfile>`, tag,
/// push, and write [`IMAGE_DEFINITIONS_FILE`] and [`IMAGE_URI_FILE`]. The project needs `privileged: true` and
/// [`ecr::Repository::grant_pull_push`] (see [`Project::grant_docker_push`]).
pub fn docker_build_spec(d: DockerBuild<'_>) -> BuildSpec {
    let tag = d.image_tag.unwrap_or_else(|| {
        Value::from("$CODEBUILD_BUILD_NUMBER-$(echo $CODEBUILD_RESOLVED_SOURCE_VERSION | cut -c 1-8)")
    });
    // Every setting reaches the commands as a project environment variable: the buildspec text is fixed,
    // whatever a Proton spec supplies for the Dockerfile or the test command.
    let mut project_env = vec![
        ("REPOSITORY_URI".to_owned(), d.repository.repository_uri()),
        ("DOCKERFILE".to_owned(), d.dockerfile),
        ("UNIT_TEST_COMMAND".to_owned(), d.unit_test_command),
        ("CONTAINER_NAME".to_owned(), d.container_name),
    ];
    // The artifacts are written where `artifacts.files` looks for them: the source's root.
    let (cd, out) = match d.source_dir {
        Some(dir) => {
            project_env.push(("SOURCE_DIR".to_owned(), dir));
            ("cd \"$CODEBUILD_SRC_DIR/$SOURCE_DIR\"", "\"$CODEBUILD_SRC_DIR\"/")
        }
        None => ("cd $CODEBUILD_SRC_DIR", ""),
    };
    BuildSpec {
        env: Vec::new(),
        project_env,
        install: Vec::new(),
        pre_build: vec![
            Value::from(cd),
            Value::from(
                "aws ecr get-login-password --region $AWS_DEFAULT_REGION | docker login --username AWS --password-stdin $(echo $REPOSITORY_URI | cut -d/ -f1)",
            ),
            Value::from("bash -c \"$UNIT_TEST_COMMAND\""),
        ],
        build: vec![
            // The tag is buildspec text (shell): a tag from a user-supplied value belongs in `project_env`.
            fns::join("", [Value::from("IMAGE_TAG="), tag]),
            Value::from("docker build -t $REPOSITORY_URI:$IMAGE_TAG -f \"$DOCKERFILE\" ."),
            // Pushed in the build phase: post_build also runs after a failed build.
            Value::from("docker push $REPOSITORY_URI:$IMAGE_TAG"),
            Value::from(format!(
                "printf '[{{\"name\":\"%s\",\"imageUri\":\"%s\"}}]' \"$CONTAINER_NAME\" \"$REPOSITORY_URI:$IMAGE_TAG\" > {out}imagedefinitions.json"
            )),
            Value::from(format!("printf '%s' \"$REPOSITORY_URI:$IMAGE_TAG\" > {out}image-uri.txt")),
        ],
        post_build: Vec::new(),
        artifact_files: vec![Value::from(IMAGE_DEFINITIONS_FILE), Value::from(IMAGE_URI_FILE)],
    }
}
