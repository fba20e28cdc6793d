//! `cargo bench`: synthesis speed and memory against the project's targets (issue #11): 1,000 service bundles
//! built, synthesized and self-checked in memory in ≤ 150 ms and ≤ 64 MB peak; each example program
//! whole-process ≤ 4 ms (`synth --out` to a fresh folder) and `list` ≤ 2 ms (troposphere takes 0.083 s and
//! `cdk synth` 3.7 s for a VPC + Fargate service). Prints one line per measurement with its target and `ok` or
//! `MISSED`, the per-phase split of the 1,000 bundles, the machine's load, and, as a reference for `synth --out`,
//! what writing the same files costs the file system alone; always exits 0 (a missed target is a figure to
//! report, not a broken build).
//!
//! The last figure is a developer's loop: a one-line edit of an example, then its debug rebuild and run, ≤ 0.6 s
//! (the bench edits `examples/lb_fargate_svc.rs` and puts it back, also when it panics).
//!
//! `SYNTH_BENCH=catalog` runs only one in-memory synthesis of the 1,000 bundles (`SYNTH_BENCH_N` of them), for
//! `valgrind --tool=callgrind`; `SYNTH_BENCH=edit` runs only the edit loop; `SYNTH_BENCH_PROCESS=0` skips the
//! whole-process figures and the edit loop (which build the examples, in release and debug, first).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use proton_synth::app::{App, SynthOptions};
use proton_synth::assembly::Sink;
use proton_synth::constructs::ecs::{Cluster, ContainerImage, TaskSizeMapping};
use proton_synth::constructs::patterns::{LoadBalancedFargateService, LoadBalancedFargateServiceProps, TaskSource};
use proton_synth::constructs::{ec2::VpcRef, Expr, Stack, Synthesized};
use proton_synth::proton::writer::to_bundle_yaml;
use proton_synth::proton::{deterministic_tar_gz, EnvironmentInterface, InputDef, ServiceTemplate, SpecSettings};

#[path = "../examples/l1_vpc.rs"]
#[allow(dead_code)]
mod l1_vpc;

/// Median wall time of `runs` executions of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    middle(times)
}

/// The median of `times` (not empty).
fn middle(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
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

/// Prints measurements against their targets; counts the missed ones.
struct Report {
    missed: usize,
}

impl Report {
    fn check(&mut self, what: &str, took: Duration, target: Duration) {
        let ok = took <= target;
        self.missed += usize::from(!ok);
        println!(
            "{what:<52} {:>10.3} ms   target ≤ {:>8.1} ms   {}",
            took.as_secs_f64() * 1e3,
            target.as_secs_f64() * 1e3,
            if ok { "ok" } else { "MISSED" }
        );
    }
}

/// The 1- and 5-minute load averages (Linux), to read the timings against.
fn load() -> String {
    let l = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let parts: Vec<&str> = l.split_whitespace().take(2).collect();
    format!(
        "load average {} (1 min), {} (5 min) on {} cores",
        parts.first().unwrap_or(&"?"),
        parts.get(1).unwrap_or(&"?"),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    )
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

/// The 1,000 services of the targets, built on demand (`App::add_service_with`) as the CLI does.
fn catalog(env: &EnvironmentInterface, n: usize) -> App {
    let mut app = App::new("bench");
    for i in 0..n {
        let env = env.clone();
        app.add_service_with(move || service_template(&format!("svc-{i}"), &env));
    }
    app
}

/// Sum of the time `f` takes over `items`.
fn timed<T, R>(items: &mut [T], mut f: impl FnMut(&mut T) -> R) -> (Duration, Vec<R>) {
    let t = Instant::now();
    let out = items.iter_mut().map(&mut f).collect();
    (t.elapsed(), out)
}

/// The phases of the 1,000 bundles one after the other on one thread (CPU time per phase; the CLI runs
/// templates on every core). `svc.synth` holds resolve, both writers and gzip plus the bundle's own checks
/// (variables, schema, specs); they are measured apart to split it.
fn phase_split(env: &EnvironmentInterface, n: usize) {
    let t = Instant::now();
    let mut services: Vec<ServiceTemplate> = (0..n).map(|i| service_template(&format!("svc-{i}"), env)).collect();
    let build = t.elapsed();
    let (resolve, trees) = timed(&mut services, |s| {
        s.instance_stack_mut().synth_late_bound().expect("synth")
    });
    let mut trees: Vec<Synthesized> = trees;
    let (yaml, _) = timed(&mut trees, |s| black_box(to_bundle_yaml(&s.template)).len());
    let (json, _) = timed(&mut trees, |s| black_box(s.template.to_json_string()).len());
    drop(trees);
    let settings = SpecSettings::default();
    let (bundle_synth, mut outputs) = timed(&mut services, |s| s.synth(&settings, None).expect("synth"));
    let (gzip, _) = timed(&mut outputs, |o| {
        deterministic_tar_gz(&o.name, &o.bundle).expect("tar").len()
    });
    let (check, _) = timed(&mut outputs, |o| o.self_check().len());
    let checks = bundle_synth.saturating_sub(resolve + yaml + json + gzip);
    let total = build + bundle_synth + check;
    println!(
        "  per phase, {n} bundles on one thread (sum {:.0} ms of CPU):",
        total.as_secs_f64() * 1e3
    );
    for (what, d) in [
        ("build (constructs)", build),
        ("resolve (Stack::synth_late_bound)", resolve),
        ("emit YAML (bundle writer)", yaml),
        ("emit JSON (plain template)", json),
        ("gzip (tar.gz)", gzip),
        ("bundle checks, schema, specs (rest of synth)", checks),
        ("self-check (TemplateOutput::self_check)", check),
    ] {
        println!(
            "    {what:<48} {:>8.1} ms  {:>5.1} %",
            d.as_secs_f64() * 1e3,
            100.0 * d.as_secs_f64() / total.as_secs_f64()
        );
    }
}

/// Median wall time of `runs` runs of a command; with `out`, each run writes a new folder below it (`out/N`),
/// left for the caller to delete after the whole sweep: deleting between runs would make each run pay for
/// ext4's scan of recently freed inodes, which a fresh folder on a quiet file system does not meet.
fn process_median(runs: usize, exe: &Path, args: &[&str], out: Option<&Path>) -> Option<Duration> {
    let mut times = Vec::with_capacity(runs);
    if let Some(out) = out {
        let _ = std::fs::remove_dir_all(out);
        let _ = std::fs::create_dir_all(out);
    }
    for run in 0..runs {
        let mut cmd = Command::new(exe);
        cmd.args(args).stdout(Stdio::null()).stderr(Stdio::null());
        if let Some(out) = out {
            cmd.arg("--out").arg(out.join(run.to_string()));
        }
        let t = Instant::now();
        let status = cmd.status().ok()?;
        let took = t.elapsed();
        if !status.success() {
            return None;
        }
        times.push(took);
    }
    Some(middle(times))
}

/// The files below `src` as (path relative to `src`, contents); folders as `None`, parents first.
fn read_tree(src: &Path, rel: &Path, out: &mut Vec<(PathBuf, Option<Vec<u8>>)>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(src.join(rel))?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = rel.join(e.file_name());
        if e.file_type()?.is_dir() {
            out.push((path.clone(), None));
            read_tree(src, &path, out)?;
        } else {
            out.push((path.clone(), Some(std::fs::read(src.join(&path))?)));
        }
    }
    Ok(())
}

/// What writing a program's output costs the file system alone: the median time of writing the same folders
/// and files (`src`, one program's output) into a new folder below `dst`, from this process, `runs` times;
/// with the number of files. Roughly the least a whole-process `synth --out` pays on top of its start-up (it
/// hard-links the template-sync copies, which this writes as files).
fn write_floor(runs: usize, src: &Path, dst: &Path) -> Option<(Duration, usize)> {
    let mut tree = Vec::new();
    read_tree(src, Path::new(""), &mut tree).ok()?;
    let files = tree.iter().filter(|(_, c)| c.is_some()).count();
    std::fs::create_dir_all(dst).ok()?;
    let mut times = Vec::with_capacity(runs);
    for run in 0..runs {
        let root = dst.join(run.to_string());
        let t = Instant::now();
        std::fs::create_dir(&root).ok()?;
        for (path, contents) in &tree {
            match contents {
                None => std::fs::create_dir(root.join(path)).ok()?,
                Some(c) => std::fs::write(root.join(path), c).ok()?,
            }
        }
        times.push(t.elapsed());
    }
    Some((middle(times), files))
}

/// Whole-process figures of every example program (release build, as `cargo build --release --examples`).
fn whole_process(report: &mut Report) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = Command::new(cargo)
        .args(["build", "--release", "--examples", "--quiet"])
        .current_dir(root)
        .status()
        .is_ok_and(|s| s.success());
    if !built {
        println!("whole-process figures skipped: `cargo build --release --examples` failed");
        return;
    }
    let dir = root.join("target/release/examples");
    let mut names: Vec<String> = std::fs::read_dir(root.join("examples"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.strip_suffix(".rs").map(str::to_owned))
        .collect();
    names.sort();
    let out: PathBuf = root.join("target/bench-process-out");
    let _ = std::fs::remove_dir_all(&out);
    println!("whole process, release build, median of 21 runs ({}):", load());
    for name in names {
        let exe = dir.join(&name);
        match process_median(21, &exe, &["--help"], None) {
            Some(t) => println!(
                "  {:<50} {:>10.3} ms   (reference: argument parsing only)",
                format!("{name} --help"),
                t.as_secs_f64() * 1e3
            ),
            None => continue,
        }
        match process_median(21, &exe, &["synth"], Some(&out.join(&name))) {
            Some(t) => {
                report.check(
                    &format!("  {name} synth --out (fresh folder)"),
                    t,
                    Duration::from_millis(4),
                );
                let written = out.join(&name).join("0");
                if let Some((floor, files)) = write_floor(21, &written, &out.join(format!("{name}.floor"))) {
                    println!(
                        "  {:<50} {:>10.3} ms   (reference: the same {files} files written by one process)",
                        format!("{name} file-system floor"),
                        floor.as_secs_f64() * 1e3
                    );
                }
            }
            None => println!("  {name} synth --out: failed"),
        }
        match process_median(21, &exe, &["list"], None) {
            Some(t) => report.check(&format!("  {name} list"), t, Duration::from_millis(2)),
            None => println!("  {name} list: failed"),
        }
    }
    let _ = std::fs::remove_dir_all(&out);
}

/// The line the edit loop changes in `examples/lb_fargate_svc.rs`, and how many edits it times.
const EDIT_LINE: &str = "pub const TEMPLATE_NAME: &str = \"lb-fargate-service\";";
const EDITS: usize = 5;

/// `text` with edit `i` (1 to [`EDITS`]) of [`EDIT_LINE`]: the template name gets a suffix.
fn edited(text: &str, i: usize) -> String {
    text.replace(EDIT_LINE, &EDIT_LINE.replace("-service\"", &format!("-service-{i}\"")))
}

/// The edit loop's example file, edited in place with its text saved beside the build output first: `Drop`
/// puts the text back and removes the copy, also when the bench panics. A run killed before that left the
/// copy and one of its edits, which the next run puts back before anything else.
struct EditedFile {
    path: PathBuf,
    backup: PathBuf,
    original: String,
}

impl EditedFile {
    fn open(path: PathBuf, backup: PathBuf) -> Result<EditedFile, String> {
        if let (Ok(saved), Ok(current)) = (std::fs::read_to_string(&backup), std::fs::read_to_string(&path)) {
            if (1..=EDITS).any(|i| current == edited(&saved, i)) {
                std::fs::write(&path, &saved).map_err(|e| format!("cannot put back {}: {e}", path.display()))?;
                println!(
                    "edit loop: put back {} (an earlier run was stopped before it could)",
                    path.display()
                );
            }
        }
        let original = match std::fs::read_to_string(&path) {
            Ok(text) if text.contains(EDIT_LINE) => text,
            _ => return Err(format!("{} has no line `{EDIT_LINE}` to edit", path.display())),
        };
        std::fs::write(&backup, &original).map_err(|e| format!("cannot save {}: {e}", backup.display()))?;
        Ok(EditedFile { path, backup, original })
    }

    /// Write edit `i`; false when the file cannot be written.
    fn edit(&self, i: usize) -> bool {
        std::fs::write(&self.path, edited(&self.original, i)).is_ok()
    }
}

impl Drop for EditedFile {
    fn drop(&mut self) {
        if std::fs::write(&self.path, &self.original).is_ok() {
            let _ = std::fs::remove_file(&self.backup);
        } else {
            eprintln!(
                "could not put back {}; its text before the bench is in {}",
                self.path.display(),
                self.backup.display()
            );
        }
    }
}

/// A developer's loop (issue #11: ≤ 0.6 s, debug): change one line of `examples/lb_fargate_svc.rs` (its
/// template name), rebuild the example (`cargo build --example`) and run `synth --out` into a fresh folder.
/// The median of [`EDITS`] edits, after one build that is not timed (on a fresh clone it builds the debug
/// dependencies: minutes); the file is put back afterwards ([`EditedFile`]).
fn edit_loop(report: &mut Report) {
    const EXAMPLE: &str = "lb_fargate_svc";
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = match EditedFile::open(
        root.join(format!("examples/{EXAMPLE}.rs")),
        root.join("target/bench-edit-backup.rs"),
    ) {
        Ok(file) => file,
        Err(why) => {
            println!("edit loop skipped: {why}");
            return;
        }
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let build = || {
        Command::new(&cargo)
            .args(["build", "--example", EXAMPLE, "--quiet"])
            .current_dir(root)
            .status()
            .is_ok_and(|s| s.success())
    };
    if !build() {
        println!("edit loop skipped: `cargo build --example {EXAMPLE}` failed");
        return;
    }
    let exe = root.join("target/debug/examples").join(EXAMPLE);
    let out = root.join("target/bench-edit-out");
    let mut times = Vec::new();
    for i in 1..=EDITS {
        if !file.edit(i) {
            break;
        }
        let _ = std::fs::remove_dir_all(&out);
        let t = Instant::now();
        let ran = build()
            && Command::new(&exe)
                .arg("synth")
                .arg("--out")
                .arg(&out)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
        if !ran {
            println!("edit loop: the edited {EXAMPLE} did not build or run");
            return;
        }
        times.push(t.elapsed());
    }
    drop(file);
    let _ = std::fs::remove_dir_all(&out);
    if !times.is_empty() {
        report.check(
            &format!("example {EXAMPLE}: one-line edit, rebuild + run (debug)"),
            middle(times),
            Duration::from_millis(600),
        );
    }
}

fn main() {
    let env = env_interface();
    let n: usize = std::env::var("SYNTH_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    if std::env::var("SYNTH_BENCH").as_deref() == Ok("edit") {
        edit_loop(&mut Report { missed: 0 });
        return;
    }
    if std::env::var("SYNTH_BENCH").as_deref() == Ok("catalog") {
        let r = catalog(&env, n)
            .synth_to(&SynthOptions::default(), &CountingSink::default())
            .expect("synth");
        println!("{} files", r.files.len());
        return;
    }
    let mut report = Report { missed: 0 };
    let opts = SynthOptions::default();
    println!("{}", load());

    // The targets: 1,000 service templates built on demand, synthesized, checked, serialized and archived
    // on every core, streamed into a sink. Measured first: peak RSS only grows.
    let rss_before = peak_rss_kib();
    let sink = CountingSink::default();
    let r = catalog(&env, n).synth_to(&opts, &sink).expect("synth");
    if let (Some(before), Some(after)) = (rss_before, peak_rss_kib()) {
        let mib = after as f64 / 1024.0;
        let ok = mib <= 64.0;
        report.missed += usize::from(!ok);
        println!(
            "{:<52} {:>10.1} MiB  target ≤     64.0 MiB   {}  (was {:.1} MiB before)",
            "1,000 service bundles: peak RSS",
            mib,
            if ok { "ok" } else { "MISSED" },
            before as f64 / 1024.0
        );
    }
    let took = median(9, || {
        black_box(
            catalog(&env, n)
                .synth_to(&opts, &CountingSink::default())
                .expect("synth"),
        );
    });
    report.check(
        "1,000 service bundles: build + synth + check (median)",
        took,
        Duration::from_millis(150),
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
    phase_split(&env, n);

    let t = median(200, || {
        let app: App = l1_vpc::app();
        black_box(app.synth(&opts).expect("synth"));
    });
    report.check(
        "example l1_vpc: build + synth (in process)",
        t,
        Duration::from_millis(4),
    );
    let stack = big_stack(500);
    let t = median(50, || {
        black_box(stack.synth().expect("synth").to_json_string());
    });
    report.check("500-resource template: synth + JSON", t, Duration::from_millis(25));

    // The same 1,000 bundles written to disk as `synth --out` does (temporary folder, then renamed).
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-out");
    let _ = std::fs::remove_dir_all(&out);
    let t = Instant::now();
    let r = catalog(&env, n).write(&out, &opts).expect("write");
    println!(
        "{:<52} {:>10.3} ms   ({} files; informational: file system cost)",
        "1,000 service bundles: App::write to disk",
        t.elapsed().as_secs_f64() * 1e3,
        r.files.len()
    );
    let _ = std::fs::remove_dir_all(&out);

    if std::env::var("SYNTH_BENCH_PROCESS").as_deref() != Ok("0") {
        whole_process(&mut report);
        edit_loop(&mut report);
    }
    if let Some(kib) = peak_rss_kib() {
        println!("peak RSS of the whole bench: {:.1} MiB", kib as f64 / 1024.0);
    }
    println!("{} target(s) missed; {}", report.missed, load());
}
