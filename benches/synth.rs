//! `cargo bench`: synthesis speed and memory against the project's targets
//! (≤ 4 ms per example program; ≤ 250 ms and ≤ 64 MB for 1,000 service bundles; troposphere takes 0.083 s and
//! `cdk synth` 3.7 s for a VPC + Fargate service). Prints one line per measurement with the target and
//! whether it is met; exits non-zero when a target is missed.

use std::hint::black_box;
use std::time::{Duration, Instant};

use proton_synth::app::{App, SynthOptions};
use proton_synth::constructs::{Expr, Mode, Stack};

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

    if let Some(kib) = peak_rss_kib() {
        println!("peak RSS: {:.1} MiB", kib as f64 / 1024.0);
    }
    if report.failed {
        std::process::exit(1);
    }
}
