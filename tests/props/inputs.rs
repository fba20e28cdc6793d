//! AWS Proton templates with random inputs of every type (names with hyphens and leading digits, defaults
//! full of YAML/Jinja syntax, lengths, enums, ranges, required inputs with examples): the bundle, archive,
//! specs and plain template are byte-identical across builds, the bundle passes `check`, renders locally
//! with its sample spec, and the rendered template resolves every reference and carries each string input
//! through unchanged. Service templates do the same with instance and pipeline inputs and an environment
//! output, rendered for 1 and 20 instances. Broken declarations give diagnostics.

use proptest::prelude::*;
use proton_synth::constructs::cfn::{ec2, ssm};
use proton_synth::constructs::{fns, Scope, Value};
use proton_synth::engine::{
    check_bundle, render_bundle, Bundle, EnvironmentInfo, Outputs, RenderContext, RenderedFile,
};
use proton_synth::proton::input::InputValue;
use proton_synth::proton::{
    EnvironmentInterface, EnvironmentTemplate, InputDef, PipelineTemplate, ServiceTemplate, SpecSettings,
    TemplateOutput,
};
use serde_json::Value as J;

use crate::{config, refs};

#[derive(Clone, Debug)]
pub enum InputCfg {
    /// (value, how): 0 a default, 1 required with an example, 2 the default among enum values.
    Str {
        value: String,
        how: u8,
        min: Option<u64>,
        max: Option<u64>,
        others: Vec<String>,
    },
    Number {
        value: i64,
        min: Option<i64>,
        max: Option<i64>,
    },
    Boolean(bool),
    List(Vec<String>),
}

fn text() -> impl Strategy<Value = String> {
    // Printable ASCII, plus the tokens that would break YAML or Jinja if spliced unquoted.
    prop_oneof![
        3 => "[ -~]{0,24}",
        1 => prop::sample::select(vec!["{{ x }}", "{% if %}", "{# c #}", ": - [a]", "'\"\\", "on", "null", "0x1F", "#c"])
            .prop_map(str::to_owned),
    ]
}

fn input() -> impl Strategy<Value = InputCfg> {
    prop_oneof![
        (
            text(),
            0u8..3,
            any::<bool>(),
            0u64..10,
            prop::collection::vec(text(), 0..3)
        )
            .prop_map(|(value, how, bounded, slack, others)| {
                let len = value.chars().count() as u64;
                InputCfg::Str {
                    min: bounded.then(|| len.saturating_sub(slack)),
                    max: bounded.then_some(len + slack),
                    value,
                    how,
                    others,
                }
            }),
        (1i64..=65535, any::<bool>(), 0i64..100).prop_map(|(value, bounded, slack)| InputCfg::Number {
            value,
            min: bounded.then_some((value - slack).max(1)),
            max: bounded.then_some((value + slack).min(65535)),
        }),
        any::<bool>().prop_map(InputCfg::Boolean),
        prop::collection::vec("[a-z0-9-]{1,10}", 0..4).prop_map(InputCfg::List),
    ]
}

/// Distinct Proton input names (distinct parameter names too: `a-b` and `a_b` would collide).
fn names(n: usize) -> impl Strategy<Value = Vec<String>> {
    prop::collection::btree_set("[a-z0-9][a-z0-9_-]{0,10}", n).prop_map(|set| {
        let mut seen = std::collections::BTreeSet::new();
        set.into_iter()
            .filter(|n| seen.insert(proton_synth::proton::input::parameter_name(n)))
            .collect()
    })
}

/// A part of a Proton template that declares inputs: the environment, a service's instances, its pipeline.
pub trait Part {
    fn declare<T: InputValue>(&mut self, def: InputDef<T>) -> Value<T>;
    fn scope(&mut self) -> Scope<'_>;
}

impl Part for EnvironmentTemplate {
    fn declare<T: InputValue>(&mut self, def: InputDef<T>) -> Value<T> {
        self.input(def).value()
    }
    fn scope(&mut self) -> Scope<'_> {
        self.root()
    }
}

impl Part for ServiceTemplate {
    fn declare<T: InputValue>(&mut self, def: InputDef<T>) -> Value<T> {
        self.instance_input(def).value()
    }
    fn scope(&mut self) -> Scope<'_> {
        self.instance()
    }
}

impl Part for PipelineTemplate {
    fn declare<T: InputValue>(&mut self, def: InputDef<T>) -> Value<T> {
        self.input(def).value()
    }
    fn scope(&mut self) -> Scope<'_> {
        self.root()
    }
}

/// `(logical id, value)` of the string inputs a rendered template must carry unchanged.
pub type Strings = Vec<(String, String)>;

/// Declare one input and use it in a resource of its type. Returns the expected rendered string value of a
/// string input (the parameter's `Value`), keyed by the resource's logical id.
fn declare(part: &mut impl Part, i: usize, name: &str, c: &InputCfg) -> Option<(String, String)> {
    let id = format!("InputUSE{i}");
    match c {
        InputCfg::Str {
            value,
            how,
            min,
            max,
            others,
        } => {
            let mut def = InputDef::string(name);
            def = match how {
                0 => def.default(value),
                1 => def.required().example(value),
                _ => {
                    let mut values = vec![value];
                    for o in others {
                        if !values.contains(&o) {
                            values.push(o);
                        }
                    }
                    def.enum_values(values).default(value)
                }
            };
            if let Some(m) = min {
                def = def.min_length(*m);
            }
            if let Some(m) = max {
                def = def.max_length(*m);
            }
            let v = part.declare(def);
            part.scope().add(&id, ssm::Parameter::new("String", v));
            Some((id, value.clone()))
        }
        InputCfg::Number { value, min, max } => {
            let mut def = InputDef::number(name).default(*value as f64);
            if let Some(m) = min {
                def = def.minimum(*m as f64);
            }
            if let Some(m) = max {
                def = def.maximum(*m as f64);
            }
            let port: Value<i64> = Value::from_expr(part.declare(def).into_expr());
            let mut ingress = ec2::security_group::Ingress::new("tcp");
            ingress.from_port = Some(port.clone());
            ingress.to_port = Some(port);
            ingress.cidr_ip = Some("10.0.0.0/8".into());
            let mut sg = ec2::SecurityGroup::new("generated");
            sg.security_group_ingress = Some(vec![ingress]);
            part.scope().add(&id, sg);
            None
        }
        InputCfg::Boolean(b) => {
            let flag = part.declare(InputDef::boolean(name).default(*b));
            let mut vpc = ec2::Vpc::new();
            vpc.cidr_block = Some("10.0.0.0/16".into());
            vpc.enable_dns_support = Some(flag);
            part.scope().add(&id, vpc);
            None
        }
        InputCfg::List(items) => {
            let list = part.declare(InputDef::string_list(name).default(items));
            let joined: Value<String> = fns::join_list(",", list);
            part.scope().add(&id, ssm::Parameter::new("StringList", joined));
            None
        }
    }
}

pub fn build(names: &[String], inputs: &[InputCfg]) -> (EnvironmentTemplate, Vec<(String, String)>) {
    let mut env = EnvironmentTemplate::new("prop-env").description("generated");
    let mut strings = Vec::new();
    for (i, (name, c)) in names.iter().zip(inputs).enumerate() {
        strings.extend(declare(&mut env, i, name, c));
    }
    let env_name = env.environment_name();
    env.output("EnvName", env_name);
    (env, strings)
}

fn synth(names: &[String], inputs: &[InputCfg]) -> Result<TemplateOutput, TestCaseError> {
    build(names, inputs)
        .0
        .synth(&SpecSettings::default())
        .map_err(|d| TestCaseError::fail(format!("a valid template failed to synthesize:\n{d}")))
}

/// Parse a rendered file; every reference must resolve and each `(logical id, value)` string input must arrive
/// unchanged.
fn check_rendered(file: &RenderedFile, strings: &[(String, String)]) -> Result<(), TestCaseError> {
    let rendered: J = serde_saphyr::from_str(&file.text)
        .map_err(|e| TestCaseError::fail(format!("{}: rendered YAML: {e}\n{}", file.name, file.text)))?;
    let dangling = refs::dangling_references(&rendered);
    prop_assert!(
        dangling.is_empty(),
        "{}: dangling references after rendering: {:#?}",
        file.name,
        dangling
    );
    for (id, value) in strings {
        let got = &rendered["Resources"][id]["Properties"]["Value"];
        prop_assert_eq!(
            got.as_str(),
            Some(value.as_str()),
            "{}: input of {} changed in rendering",
            file.name,
            id
        );
    }
    Ok(())
}

/// What Proton knew: the environment `Beta` with its `VpcId` output, the service and its repository.
fn context() -> RenderContext {
    let mut ctx = RenderContext {
        environment_name: Some("Beta".into()),
        ..RenderContext::default()
    };
    ctx.default_account_id = Some("111122223333".into());
    ctx.service.name = Some("prop-svc".into());
    ctx.service.repository_connection_arn =
        Some("arn:aws:codestar-connections:eu-west-1:111122223333:connection/0f0e0d0c".into());
    ctx.service.repository_id = Some("org/repo".into());
    ctx.service.branch_name = Some("main".into());
    let values = [("VpcId".to_owned(), "vpc-0123456789abcdef0".to_owned())]
        .into_iter()
        .collect();
    let outputs = Outputs {
        values,
        source: "test".into(),
    };
    ctx.environments.insert(
        "Beta".into(),
        EnvironmentInfo {
            account_id: None,
            outputs: Some(outputs),
        },
    );
    ctx
}

/// The bundle passes `check` and renders with every sample spec; returns the rendered files of each spec.
fn render_samples(o: &TemplateOutput) -> Result<Vec<Vec<RenderedFile>>, TestCaseError> {
    let bundle = Bundle::from_files("generated", o.bundle.clone());
    let findings = check_bundle(&bundle);
    prop_assert!(!findings.iter().any(|f| f.is_error()), "check: {findings:#?}");
    let ctx = context();
    let mut out = Vec::new();
    for (name, spec) in &o.specs {
        let files = render_bundle(&bundle, spec, &ctx)
            .map_err(|f| TestCaseError::fail(format!("render with {name}: {f:#?}\n{spec}")))?;
        out.push(files);
    }
    Ok(out)
}

/// Build twice: bundle, archive, specs and plain templates byte-identical; plain references resolved.
fn assert_deterministic(a: &TemplateOutput, b: &TemplateOutput) -> Result<(), TestCaseError> {
    prop_assert_eq!(&a.bundle, &b.bundle);
    prop_assert_eq!(&a.tar_gz, &b.tar_gz);
    prop_assert_eq!(&a.specs, &b.specs);
    prop_assert_eq!(&a.plain, &b.plain);
    for (file, template) in &a.plain {
        let dangling = refs::dangling_references(template);
        prop_assert!(dangling.is_empty(), "{}: {:#?}", file, dangling);
    }
    Ok(())
}

/// A service template: instance inputs, one environment output, and (optionally) a pipeline with its inputs.
pub fn build_service(instance: &Inputs, pipeline: Option<&Inputs>) -> (ServiceTemplate, Strings, Strings) {
    let env = EnvironmentInterface::new("prop-env", 1, ["VpcId"]);
    let mut svc = ServiceTemplate::new("prop-svc", &[env]);
    let mut strings = Vec::new();
    for (i, (name, c)) in instance.0.iter().zip(&instance.1).enumerate() {
        strings.extend(declare(&mut svc, i, name, c));
    }
    let vpc_id = svc.env_output("VpcId");
    let mut sg = ec2::SecurityGroup::new("per instance");
    sg.vpc_id = Some(vpc_id);
    sg.group_name = Some(svc.service_instance_name());
    svc.instance().add("EnvOutputUSE", sg);
    let mut pipeline_strings = Vec::new();
    if let Some(p) = pipeline {
        let pipe = svc.pipeline();
        for (i, (name, c)) in p.0.iter().zip(&p.1).enumerate() {
            pipeline_strings.extend(declare(pipe, i, name, c));
        }
    }
    (svc, strings, pipeline_strings)
}

/// Input names and their configurations.
pub type Inputs = (Vec<String>, Vec<InputCfg>);

prop_compose! {
    pub fn valid_inputs()(names in names(4))(
        inputs in prop::collection::vec(input(), names.len()),
        names in Just(names),
    ) -> Inputs {
        (names, inputs)
    }
}

proptest! {
    #![proptest_config(config(16))]

    #[test]
    fn environment_templates_with_random_inputs_synthesize_deterministically_and_render(
        (names, inputs) in valid_inputs()
    ) {
        assert_deterministic(&synth(&names, &inputs)?, &synth(&names, &inputs)?)?;
        let (_, strings) = build(&names, &inputs);
        let rendered = render_samples(&synth(&names, &inputs)?)?;
        for files in &rendered {
            prop_assert_eq!(files.len(), 1);
            check_rendered(&files[0], &strings)?;
        }
    }

    #[test]
    fn service_templates_with_random_inputs_synthesize_deterministically_and_render(
        instance in valid_inputs(), pipeline in prop::option::of(valid_inputs())
    ) {
        let synth = || build_service(&instance, pipeline.as_ref()).0.synth(&SpecSettings::default(), None)
            .map_err(|d| TestCaseError::fail(format!("a valid service template failed to synthesize:\n{d}")));
        let o = synth()?;
        assert_deterministic(&o, &synth()?)?;
        let (_, strings, pipeline_strings) = build_service(&instance, pipeline.as_ref());
        let rendered = render_samples(&o)?;
        prop_assert_eq!(rendered.len(), 2, "the 1- and 20-instance sample specs");
        for files in &rendered {
            for f in files {
                let expected = if f.name.starts_with("pipeline") { &pipeline_strings } else { &strings };
                check_rendered(f, expected)?;
            }
            let instances = files.iter().filter(|f| f.name.starts_with("instance-")).count();
            prop_assert!(instances == 1 || instances == 20, "{} instance files", instances);
            prop_assert_eq!(files.iter().any(|f| f.name.starts_with("pipeline")), pipeline.is_some());
        }
    }

    #[test]
    fn broken_input_declarations_are_diagnosed(
        (names, inputs) in valid_inputs(), how in any::<u8>(), noise in "[ -~]{0,8}"
    ) {
        let (mut env, _) = build(&names, &inputs);
        let expected = break_inputs(&mut env, how, &noise);
        match env.synth(&SpecSettings::default()) {
            Ok(_) => prop_assert!(false, "a broken declaration synthesized (expected {expected:?})"),
            Err(d) => {
                let errors: Vec<String> = d.0.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
                prop_assert!(errors.iter().any(|e| e.contains(expected)), "expected {expected:?} in {errors:#?}");
            }
        }
    }
}

/// Add one broken declaration (used, so it reaches synthesis) and return a fragment of its error.
fn break_inputs(env: &mut EnvironmentTemplate, how: u8, noise: &str) -> &'static str {
    let use_string = |env: &mut EnvironmentTemplate, def: InputDef<String>| {
        let v = env.input(def);
        env.root().add("BrokenUSE", ssm::Parameter::new("String", v.value()));
    };
    match how % 8 {
        0 => {
            use_string(env, InputDef::string(&format!("-{noise}")).default("a"));
            "must match [0-9A-Za-z]+[0-9A-Za-z_-]*"
        }
        1 => {
            use_string(env, InputDef::string(&"n".repeat(101)).default("a"));
            "AWS Proton allows at most"
        }
        2 => {
            use_string(
                env,
                InputDef::string("broken")
                    .default(&format!("{noise}!"))
                    .enum_values(["a", "b"]),
            );
            "is not one of"
        }
        3 => {
            let len = noise.chars().count() as u64 + 1;
            use_string(
                env,
                InputDef::string("broken")
                    .default(&format!("{noise}!"))
                    .max_length(len - 1),
            );
            "outside minLength/maxLength"
        }
        4 => {
            let n = env.input(InputDef::number("broken").default(70000.0).maximum(65535.0));
            env.root().add(
                "BrokenUSE",
                ssm::Parameter::new("String", Value::from_expr(n.value().into_expr())),
            );
            "is outside minimum/maximum"
        }
        5 => {
            use_string(env, InputDef::string("broken").required().pattern("^[a-z]+$"));
            "has a pattern but neither a default nor an example"
        }
        6 => {
            use_string(
                env,
                InputDef::string("broken")
                    .default(&format!("{noise}1"))
                    .pattern("^[^0-9]*$"),
            );
            "does not match the pattern"
        }
        _ => {
            use_string(env, InputDef::string("broken").default("a").pattern("(unclosed"));
            "is not a valid regular expression (unclosed group)"
        }
    }
}
