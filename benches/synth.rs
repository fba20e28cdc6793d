//! `cargo bench`: synthesis speed and memory against the project's targets
//! (≤ 4 ms per example program; ≤ 250 ms and ≤ 64 MB for 1,000 service bundles; troposphere takes 0.083 s and
//! `cdk synth` 3.7 s for a VPC + Fargate service). Prints one line per measurement with the target and
//! whether it is met; exits non-zero when a target is missed.

use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use proton_synth::app::{App, SynthOptions};
use proton_synth::assembly::Sink;
use proton_synth::constructs::ecs::{Cluster, ContainerImage, TaskSizeMapping};
use proton_synth::constructs::patterns::{LoadBalancedFargateService, LoadBalancedFargateServiceProps, TaskSource};
use proton_synth::constructs::{ec2::VpcRef, Expr, Mode, Stack};
use proton_synth::proton::{EnvironmentInterface, InputDef, ServiceTemplate};

#[path = "../examples/l1_vpc.rs"]
#[allow(dead_code)]
mod l1_vpc;

/// Median wall time of `runs` executions of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

/// Peak resident set size of this process in KiB (Linux), if known.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Counts what it is given and drops it.
#[derive(Default)]
struct CountingSink {
    bytes: AtomicUsize,
}

impl Sink for CountingSink {
    fn put(&self, _path: String, contents: Vec<u8>) -> Result<(), String> {
        self.bytes.fetch_add(contents.len(), Ordering::Relaxed);
        Ok(())
    }
}

struct Report {
    failed: bool,
}

impl Report {
    fn check(&mut self, what: &str, took: Duration, target: Duration) {
        let ok = took <= target;
        self.failed |= !ok;
        println!(
            "{what:<48} {:>10.3} ms   target ≤ {:>8.1} ms   {}",
            took.as_secs_f64() * 1e3,
            target.as_secs_f64() * 1e3,
            if ok { "ok" } else { "MISSED" }
        );
    }
}

fn big_stack(resources: usize) -> Stack {
    let mut stack = Stack::new("Big");
    let mut root = stack.root();
    let first = root.add_untyped("Topic0", "AWS::SNS::Topic", Expr::Map(Default::default()));
    for i in 1..resources {
        let props = Expr::Map(
            [("TopicArn".to_owned(), first.r#ref().into_expr())]
                .into_iter()
                .collect(),
        );
        root.child(&format!("Group{}", i % 10))
            .add_untyped(&format!("Sub{i}"), "AWS::SNS::Subscription", props);
    }
    stack
}

/// The environment the benchmark's services are written against.
fn env_interface() -> EnvironmentInterface {
    EnvironmentInterface::new(
        "private-vpc",
        1,
        [
            "VpcId",
            "PublicSubnetOne",
            "PublicSubnetTwo",
            "PrivateSubnetOne",
            "PrivateSubnetTwo",
            "ClusterName",
        ],
    )
}

/// A service template shaped like AWS's load-balanced Fargate sample: inputs mapped through a task-size
/// mapping, the environment's cluster, VPC and subnets, an ALB + Fargate service from the pattern.
fn service_template(name: &str, env: &EnvironmentInterface) -> ServiceTemplate {
    let mut svc = ServiceTemplate::new(name, std::slice::from_ref(env));
    let port = svc.instance_input(InputDef::number("port").default(80.0).minimum(1.0).maximum(65535.0));
    let desired = svc.instance_input(InputDef::number("desired_count").default(1.0).minimum(1.0));
    let size = svc.instance_input(
        InputDef::string("task_size")
            .default("x-small")
            .enum_values(["x-small", "small", "medium", "large", "x-large"]),
    );
    let image = svc.instance_input(InputDef::string("image").default("public.ecr.aws/nginx/nginx:1.27"));
    let vpc = VpcRef {
        vpc_id: svc.env_output("VpcId"),
        public_subnet_ids: vec![svc.env_output("PublicSubnetOne"), svc.env_output("PublicSubnetTwo")],
        private_subnet_ids: vec![svc.env_output("PrivateSubnetOne"), svc.env_output("PrivateSubnetTwo")],
        isolated_subnet_ids: Vec::new(),
    };
    let cluster = Cluster::from_name(svc.env_output("ClusterName"));
    let mut root = svc.instance();
    let sizes = TaskSizeMapping::aws_sample(&mut root, "TaskSize");
    let mut props = LoadBalancedFargateServiceProps::new(cluster, vpc, ContainerImage::registry(image.value()));
    props
        .compute
        .set_size(sizes.cpu(size.value()), sizes.memory(size.value()));
    props.desired_count = desired.as_integer();
    if let TaskSource::Image(task) = &mut props.task {
        task.container_port = port.as_integer();
    }
    LoadBalancedFargateService::new(&mut root, "Web", props);
    svc
}

fn main() {
    let mut report = Report { failed: false };
    let opts = SynthOptions::default();

    let t = median(200, || {
        let app: App = l1_vpc::app();
        black_box(app.synth(&opts).expect("synth"));
    });
    report.check("example l1_vpc: build + synth", t, Duration::from_millis(4));

    let stack = big_stack(500);
    let t = median(50, || {
        black_box(stack.synth(Mode::Plain).expect("synth"));
    });
    report.check("500-resource template: synth", t, Duration::from_millis(25));

    let env = env_interface();

    // The targets: 1,000 service templates built on demand (`App::add_service_with`), synthesized, checked,
    // serialized and archived on every core, streamed into a sink. Measured first: peak RSS only grows.
    let rss_before = peak_rss_kib();
    let catalog = || {
        let mut app = App::new("bench");
        for i in 0..1000 {
            let env = env.clone();
            app.add_service_with(move || service_template(&format!("svc-{i}"), &env));
        }
        app
    };
    let sink = CountingSink::default();
    let r = catalog().synth_to(&opts, &sink).expect("synth");
    if let (Some(before), Some(after)) = (rss_before, peak_rss_kib()) {
        let mib = after as f64 / 1024.0;
        let ok = mib <= 64.0;
        report.failed |= !ok;
        println!(
            "{:<48} {:>10.1} MiB  target ≤     64.0 MiB   {}  (was {:.1} MiB before)",
            "1,000 service bundles: peak RSS",
            mib,
            if ok { "ok" } else { "MISSED" },
            before as f64 / 1024.0
        );
    }

    let took = median(5, || {
        black_box(catalog().synth_to(&opts, &CountingSink::default()).expect("synth"));
    });
    report.check(
        "1,000 service bundles: build + synth + check",
        took,
        Duration::from_millis(250),
    );
    println!(
        "  ({} files, {} KiB in all, {} KiB of tar.gz)",
        r.files.len(),
        sink.bytes.load(Ordering::Relaxed) / 1024,
        r.files
            .iter()
            .filter(|(p, _)| p.ends_with(".tar.gz"))
            .map(|(_, n)| n)
            .sum::<usize>()
            / 1024
    );
    // The same, written to disk as `synth --out` does (temporary folder, then renamed): adds the file system.
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-out");
    let _ = std::fs::remove_dir_all(&out);
    let t = Instant::now();
    let r = catalog().write(&out, &opts).expect("write");
    println!(
        "{:<48} {:>10.3} ms   ({} files; informational: file system cost)",
        "1,000 service bundles: App::write to disk",
        t.elapsed().as_secs_f64() * 1e3,
        r.files.len()
    );
    let _ = std::fs::remove_dir_all(&out);

    // Informational: templates built up front and the whole output held in memory (`App::synth`).
    let t = Instant::now();
    let mut app = App::new("bench");
    for i in 0..1000 {
        app.add_service(service_template(&format!("svc-{i}"), &env));
    }
    let built = t.elapsed();
    black_box(app.synth(&opts).expect("synth"));
    println!(
        "{:<48} {:>10.3} ms   (informational; building the templates first: {:.0} ms)",
        "1,000 service bundles: eager, in memory",
        t.elapsed().as_secs_f64() * 1e3,
        built.as_secs_f64() * 1e3
    );

    if let Some(kib) = peak_rss_kib() {
        println!("peak RSS: {:.1} MiB", kib as f64 / 1024.0);
    }
    if report.failed {
        std::process::exit(1);
    }
}
