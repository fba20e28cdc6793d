//! Output folders that cannot destroy data (`src/output/`): every case of the hostile-user report, through
//! the real binary (`render`) and `App::run_with` (`synth`). Everything happens in fresh folders under
//! `std::env::temp_dir()`; the checked-in fixtures are only copied.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use proton_synth::app::App;
use proton_synth::assembly::Sink;
use proton_synth::constructs::{Expr, Stack};
use proton_synth::output::{check_out, OutputOptions, StagingDir, MARKER, MARKER_TEXT};

const BIN: &str = env!("CARGO_BIN_EXE_proton-synth");

fn samples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws-samples/loadbalanced-fargate-svc")
}

/// A fresh, empty folder for one test.
fn temp_dir(name: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("ps-out-safety-{}-{n}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A workspace with a copy of the sample environment bundle (`bundle/`) and its spec (`specs/env.yaml`).
struct Ws {
    root: PathBuf,
    bundle: PathBuf,
    spec: PathBuf,
}

fn workspace(name: &str) -> Ws {
    let root = temp_dir(name);
    let bundle = root.join("bundle");
    copy_dir(&samples().join("environment"), &bundle);
    fs::create_dir_all(root.join("specs")).unwrap();
    let spec = root.join("specs/env.yaml");
    fs::copy(samples().join("specs/env-spec.yaml"), &spec).unwrap();
    Ws { root, bundle, spec }
}

/// Run the binary's `render` in `ws.root` (HOME is `ws.root/home`), with `--out out` and `extra` flags.
fn render(ws: &Ws, out: &Path, extra: &[&str]) -> Output {
    render_cmd(ws, out, extra).output().unwrap()
}

fn render_cmd(ws: &Ws, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(&ws.root)
        .env("HOME", ws.root.join("home"))
        .arg("render")
        .arg(&ws.bundle)
        .arg("--spec")
        .arg(&ws.spec)
        .arg("--out")
        .arg(out)
        .args(extra);
    cmd
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Every file below `dir` (relative path → bytes), folders as `path/`.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let rel = entry.path().strip_prefix(base).unwrap().to_string_lossy().into_owned();
            if entry.file_type().unwrap().is_dir() {
                out.insert(format!("{rel}/"), Vec::new());
                walk(base, &entry.path(), out);
            } else {
                out.insert(rel, fs::read(entry.path()).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Assert that a run failed with one `error: <out>: …` line mentioning each of `words`.
#[track_caller]
fn assert_refused(o: &Output, out: &Path, words: &[&str]) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let line = format!("error: {}: ", out.display());
    assert!(err.contains(&line), "expected {line:?} in {err}");
    for w in words {
        assert!(err.contains(w), "expected {w:?} in {err}");
    }
    assert!(!err.contains("os error 39"), "{err}");
}

/// A PID that belonged to a process which has exited and been reaped.
fn dead_pid() -> u32 {
    let mut child = Command::new(BIN)
        .arg("--version")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

fn marked_folder(dir: &Path, files: &[(&str, &str)]) {
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join(MARKER), MARKER_TEXT).unwrap();
    for (name, body) in files {
        fs::write(dir.join(name), body).unwrap();
    }
}

fn topics(n: usize) -> App {
    let mut stack = Stack::new("Topics");
    let mut root = stack.root();
    for i in 0..n {
        root.add_untyped(&format!("Topic{i}"), "AWS::SNS::Topic", Expr::Map(Default::default()));
    }
    let mut app = App::new("output-safety");
    app.add_stack(stack);
    app
}

fn synth(app: App, out: &Path, extra: &[&str]) -> i32 {
    let args = ["prog", "synth", "--out"]
        .into_iter()
        .map(OsString::from)
        .chain([out.as_os_str().to_owned()])
        .chain(extra.iter().map(OsString::from));
    app.run_with(args)
}

// ----------------------------------------------------------------------------------------------------------
// Refusals

#[test]
fn out_may_not_be_or_hold_an_input_even_with_force() {
    let ws = workspace("inputs");
    let before = tree(&ws.root);
    for force in [&[][..], &["--force"][..]] {
        // The bundle itself, a folder inside it, the spec's folder, the spec file, the whole workspace.
        let o = render(&ws, &ws.bundle, force);
        assert_refused(&o, &ws.bundle, &["contains the input", "--force does not override"]);
        let inside = ws.bundle.join("infrastructure");
        assert_refused(&render(&ws, &inside, force), &inside, &["lies inside the input"]);
        let specs = ws.root.join("specs");
        assert_refused(&render(&ws, &specs, force), &specs, &["contains the input"]);
        assert_refused(&render(&ws, &ws.spec, force), &ws.spec, &["contains the input"]);
        // A path that reaches the bundle through `..` is the bundle too.
        let sneaky = ws.root.join("specs/../bundle");
        assert_refused(&render(&ws, &sneaky, force), &sneaky, &["contains the input"]);
    }
    assert_eq!(tree(&ws.root), before, "nothing changed");
    fs::remove_dir_all(&ws.root).unwrap();
}

#[test]
fn out_may_not_hold_a_context_file_or_an_outputs_file() {
    let ws = temp_dir("context-inputs");
    let bundle = ws.join("svc");
    copy_dir(&samples().join("service"), &bundle);
    fs::create_dir_all(ws.join("ctx")).unwrap();
    fs::create_dir_all(ws.join("outputs")).unwrap();
    fs::create_dir_all(ws.join("flag")).unwrap();
    let context = "environment: {name: Beta}\nservice: {name: front-end, repository_connection_arn: arn:aws:codestar-connections:us-east-1:111122223333:connection/x, repository_id: o/r, branch_name: main}\nenvironments:\n  Beta: {outputs_file: ../outputs/beta.json}\n";
    fs::write(ws.join("ctx/context.yaml"), context).unwrap();
    let outputs =
        fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/local/beta-outputs.json")).unwrap();
    fs::write(ws.join("outputs/beta.json"), &outputs).unwrap();
    fs::write(ws.join("flag/prod.json"), &outputs).unwrap();
    let before = tree(&ws);
    let run = |out: &Path| {
        Command::new(BIN)
            .current_dir(&ws)
            .arg("render")
            .arg(&bundle)
            .arg("--spec")
            .arg(samples().join("specs/svc-spec.yaml"))
            .arg("--context")
            .arg(ws.join("ctx/context.yaml"))
            .arg("--env-outputs")
            .arg(format!("Prod={}", ws.join("flag/prod.json").display()))
            .arg("--out")
            .arg(out)
            .arg("--force")
            .output()
            .unwrap()
    };
    for folder in ["ctx", "outputs", "flag"] {
        let out = ws.join(folder);
        assert_refused(&run(&out), &out, &["contains the input"]);
    }
    assert_eq!(tree(&ws), before, "nothing changed");
    // Elsewhere the same render works.
    let o = run(&ws.join("rendered"));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(ws.join("rendered/pipeline.yaml").is_file());
    fs::remove_dir_all(&ws).unwrap();
}

#[test]
fn a_user_folder_is_refused_without_force_and_replaced_with_it() {
    let ws = workspace("user-folder");
    let mine = ws.root.join("mine");
    fs::create_dir_all(mine.join("sub")).unwrap();
    fs::write(mine.join("notes.txt"), "precious").unwrap();
    fs::write(mine.join("sub/more.txt"), "also precious").unwrap();
    let before = tree(&mine);
    let o = render(&ws, &mine, &[]);
    assert_refused(&o, &mine, &["did not write", "--force"]);
    assert_eq!(tree(&mine), before);
    assert_eq!(names(&ws.root), ["bundle", "mine", "specs"], "nothing left beside it");

    // `synth` refuses it too (the library API as well), and a CDK project's cdk.out is a user folder.
    assert_eq!(synth(topics(1), &mine, &[]), 1);
    let err = topics(1).write(&mine, &Default::default()).unwrap_err();
    assert!(err.to_string().contains("did not write"), "{err}");
    assert_eq!(tree(&mine), before);

    let o = render(&ws, &mine, &["--force"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(names(&mine), [MARKER, "environment.yaml"]);
    assert_eq!(names(&ws.root), ["bundle", "mine", "specs"]);
    fs::remove_dir_all(&ws.root).unwrap();
}

#[test]
fn a_file_is_never_replaced() {
    let ws = workspace("file");
    let file = ws.root.join("notes.txt");
    fs::write(&file, "precious").unwrap();
    for force in [&[][..], &["--force"][..]] {
        assert_refused(
            &render(&ws, &file, force),
            &file,
            &["is a file", "never replaces a file"],
        );
    }
    assert_eq!(synth(topics(1), &file, &["--force"]), 1);
    assert_eq!(fs::read_to_string(&file).unwrap(), "precious");
    // No hidden copy either: nothing beside it.
    assert_eq!(names(&ws.root), ["bundle", "notes.txt", "specs"]);
    fs::remove_dir_all(&ws.root).unwrap();
}

#[test]
fn current_home_and_root_folders_are_refused_even_with_force() {
    let ws = workspace("protected");
    let home = ws.root.join("home");
    fs::create_dir_all(&home).unwrap();
    fs::write(home.join(".profile"), "precious").unwrap();
    let before = tree(&ws.root);
    for force in [&[][..], &["--force"][..]] {
        // Run from the workspace: `.` is it, `..` its parent; HOME is ws/home.
        for (out, why) in [
            (Path::new("."), "current folder"),
            (Path::new(".."), "current folder"),
            (Path::new("bundle/.."), "current folder"),
            (home.as_path(), "home folder"),
        ] {
            assert_refused(&render(&ws, out, force), out, &[why, "--force does not override"]);
        }
    }
    assert_eq!(tree(&ws.root), before, "nothing changed");
    // `/` (checked without touching anything: the refusal comes before any file system change).
    let err = check_out(Path::new("/"), &[]).unwrap_err();
    assert_eq!(err.path, Path::new("/"));
    assert!(err.what.contains("root folder"), "{err}");
    let err = check_out(Path::new("."), &[]).unwrap_err();
    assert!(err.to_string().starts_with(".: is the current folder"), "{err}");
    fs::remove_dir_all(&ws.root).unwrap();
}

#[test]
fn default_out_is_our_own_name_not_cdk_out() {
    let ws = workspace("default");
    let cdk = ws.root.join("cdk.out");
    fs::create_dir_all(&cdk).unwrap();
    fs::write(cdk.join("manifest.json"), "{\"version\": \"36.0.0\"}").unwrap();
    let help = Command::new(BIN).args(["synth", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    assert!(help.contains("[default: proton-synth.out]"), "{help}");
    // The bare binary defines no templates: `synth` fails before touching any folder.
    let o = Command::new(BIN).current_dir(&ws.root).arg("synth").output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(!ws.root.join("proton-synth.out").exists());
    assert_eq!(
        fs::read_to_string(cdk.join("manifest.json")).unwrap(),
        "{\"version\": \"36.0.0\"}"
    );
    fs::remove_dir_all(&ws.root).unwrap();
}

// ----------------------------------------------------------------------------------------------------------
// Replacement

#[test]
fn a_folder_we_wrote_is_replaced_and_a_failed_run_leaves_it_untouched() {
    let ws = workspace("replace");
    let out = ws.root.join("out");
    let o = render(&ws, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(fs::read_to_string(out.join(MARKER)).unwrap(), MARKER_TEXT);
    fs::write(out.join("stale.yaml"), "from an older run").unwrap();

    fs::write(
        &ws.spec,
        "proton: EnvironmentSpec\nspec:\n  vpc_cidr: \"10.9.0.0/16\"\n",
    )
    .unwrap();
    let o = render(&ws, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(names(&out), [MARKER, "environment.yaml"], "replaced as a whole");
    assert!(fs::read_to_string(out.join("environment.yaml"))
        .unwrap()
        .contains("10.9.0.0/16"));
    let good = tree(&out);

    // A spec that does not validate: exit 1, the folder as it was, nothing beside it.
    fs::write(&ws.spec, "proton: EnvironmentSpec\nspec:\n  vpc_cidr: 42\n").unwrap();
    let o = render(&ws, &out, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("was not changed"), "{}", stderr(&o));
    assert_eq!(tree(&out), good);
    assert_eq!(names(&ws.root), ["bundle", "out", "specs"]);

    // The same for synth, into a folder render wrote: a failing program changes nothing, a good one replaces.
    assert_eq!(synth(topics(501), &out, &[]), 1);
    assert_eq!(tree(&out), good);
    assert_eq!(synth(topics(1), &out, &[]), 0);
    assert_eq!(names(&out), [MARKER, "Topics.template.json", "manifest.json"]);
    assert_eq!(names(&ws.root), ["bundle", "out", "specs"]);
    fs::remove_dir_all(&ws.root).unwrap();
}

#[cfg(unix)]
#[test]
fn a_symbolic_link_is_followed_and_a_dangling_one_refused() {
    let ws = workspace("symlink");
    let real = ws.root.join("real");
    let link = ws.root.join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    assert_refused(&render(&ws, &link, &["--force"]), &link, &["cannot resolve"]);
    fs::create_dir_all(&real).unwrap();
    let o = render(&ws, &link, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        fs::symlink_metadata(&link).unwrap().file_type().is_symlink(),
        "the link stays a link"
    );
    assert_eq!(names(&real), [MARKER, "environment.yaml"]);
    // A link to an input is refused like the input.
    let to_bundle = ws.root.join("to-bundle");
    std::os::unix::fs::symlink(&ws.bundle, &to_bundle).unwrap();
    assert_refused(
        &render(&ws, &to_bundle, &["--force"]),
        &to_bundle,
        &["contains the input"],
    );
    fs::remove_dir_all(&ws.root).unwrap();
}

// ----------------------------------------------------------------------------------------------------------
// Interrupted runs

#[test]
fn leftovers_of_dead_runs_are_removed_and_only_those() {
    let ws = workspace("stale");
    let out = ws.root.join("out");
    assert_eq!(render(&ws, &out, &[]).status.code(), Some(0));
    let dead = dead_pid();
    let live = std::process::id();
    let at = |kind: &str, pid: u32| ws.root.join(format!(".out.{kind}-{pid}"));
    // A staging folder killed mid-write, a previous output killed before removal, one killed before its marker.
    marked_folder(&at("tmp", dead), &[("environment.yaml", "half")]);
    marked_folder(&at("old", dead), &[("environment.yaml", "previous")]);
    fs::create_dir_all(at("tmp", dead + 1_000_000)).unwrap();
    // Kept: a live process's staging folder, a dead one without our marker, names not ours.
    marked_folder(&at("tmp", live), &[]);
    fs::create_dir_all(at("old", dead + 2_000_000)).unwrap();
    fs::write(at("old", dead + 2_000_000).join("user.txt"), "not ours").unwrap();
    marked_folder(&ws.root.join(".out.tmp-12x"), &[]);
    marked_folder(&ws.root.join(".other.tmp-1"), &[]);
    let before = tree(&out);

    // Even a failing run cleans up (under the lock) and leaves the output as it was.
    fs::write(&ws.spec, "proton: EnvironmentSpec\nspec:\n  vpc_cidr: 42\n").unwrap();
    assert_eq!(render(&ws, &out, &[]).status.code(), Some(1));
    assert_eq!(tree(&out), before);
    let mut expected = vec![
        ".other.tmp-1".to_owned(),
        format!(".out.old-{}", dead + 2_000_000),
        format!(".out.tmp-{live}"),
        ".out.tmp-12x".to_owned(),
        "bundle".to_owned(),
        "out".to_owned(),
        "specs".to_owned(),
    ];
    expected.sort();
    assert_eq!(names(&ws.root), expected);
    fs::remove_dir_all(&ws.root).unwrap();
}

#[test]
fn a_run_killed_between_its_two_renames_loses_nothing() {
    let ws = workspace("killed");
    let out = ws.root.join("out");
    assert_eq!(render(&ws, &out, &[]).status.code(), Some(0));
    let previous = tree(&out);
    let dead = dead_pid();
    let old = ws.root.join(format!(".out.old-{dead}"));
    let tmp = ws.root.join(format!(".out.tmp-{dead}"));

    // The fallback's state after `rename(out, old)`, before `rename(tmp, out)`: no `out` at all.
    fs::rename(&out, &old).unwrap();
    marked_folder(&tmp, &[("environment.yaml", "the killed run's new output")]);
    // The next run restores `out` first; this one then fails, so the restored output is what remains.
    fs::write(&ws.spec, "proton: EnvironmentSpec\nspec:\n  vpc_cidr: 42\n").unwrap();
    let o = render(&ws, &out, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(tree(&out), previous, "restored from {}", old.display());
    assert_eq!(names(&ws.root), ["bundle", "out", "specs"]);

    // Killed before any rename (staging complete) and after the exchange (old output at tmp): same outcome.
    marked_folder(&tmp, &[("environment.yaml", "staged, never swapped")]);
    assert_eq!(render(&ws, &out, &[]).status.code(), Some(1));
    assert_eq!(tree(&out), previous);
    assert_eq!(names(&ws.root), ["bundle", "out", "specs"]);

    // And a later good run replaces the restored output.
    fs::copy(samples().join("specs/env-spec.yaml"), &ws.spec).unwrap();
    marked_folder(&old, &[("environment.yaml", "an older output, replaced already")]);
    let o = render(&ws, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(tree(&out), previous);
    assert_eq!(names(&ws.root), ["bundle", "out", "specs"]);

    // The library restores too, and reports it.
    fs::rename(&out, &old).unwrap();
    let staging = StagingDir::new(&out).unwrap();
    assert!(
        staging.notes().iter().any(|n| n.starts_with("restored ")),
        "{:?}",
        staging.notes()
    );
    drop(staging);
    assert_eq!(tree(&out), previous);
    fs::remove_dir_all(&ws.root).unwrap();
}

// ----------------------------------------------------------------------------------------------------------
// Concurrent runs

#[test]
fn concurrent_renders_into_one_folder_run_one_after_the_other() {
    let ws = workspace("concurrent-render");
    let out = ws.root.join("out");
    let children: Vec<_> = (0..4)
        .map(|_| {
            let mut cmd = render_cmd(&ws, &out, &[]);
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
        })
        .collect();
    let mut expected = None;
    for child in children {
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let t = tree(&out);
        assert_eq!(names(&out), [MARKER, "environment.yaml"]);
        assert_eq!(*expected.get_or_insert_with(|| t.clone()), t);
    }
    assert_eq!(
        names(&ws.root),
        ["bundle", "out", "specs"],
        "no lock or temporary folder left"
    );
    fs::remove_dir_all(&ws.root).unwrap();
}

#[test]
fn concurrent_synths_into_one_folder_run_one_after_the_other() {
    let ws = temp_dir("concurrent-synth");
    let out = ws.join("out");
    let out = &out;
    let codes: Vec<i32> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|i| s.spawn(move || synth(topics(20 + i), out, &[])))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(codes, [0, 0, 0, 0]);
    assert_eq!(names(out), [MARKER, "Topics.template.json", "manifest.json"]);
    assert_eq!(names(&ws), ["out"]);
    fs::remove_dir_all(&ws).unwrap();
}

#[test]
fn a_run_that_cannot_get_the_lock_in_time_says_who_holds_it() {
    let ws = temp_dir("lock");
    let out = ws.join("out");
    let holder = StagingDir::new(&out).unwrap();
    let opts = OutputOptions {
        lock_wait: Duration::from_millis(200),
        ..OutputOptions::default()
    };
    let err = StagingDir::open(&out, &opts).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains(&format!(
            "another proton-synth run (process {}) is writing this folder",
            std::process::id()
        )),
        "{text}"
    );
    assert!(text.ends_with("wait for that run to finish, then run again"), "{text}");
    holder.put("a.txt".to_owned(), b"a".to_vec()).unwrap();
    holder.commit().unwrap();
    // Released: the next run gets it at once and replaces the folder.
    let next = StagingDir::open(&out, &opts).unwrap();
    next.commit().unwrap();
    assert_eq!(names(&out), [MARKER]);
    assert_eq!(names(&ws), ["out"]);
    fs::remove_dir_all(&ws).unwrap();
}

#[test]
fn a_lock_file_left_by_a_killed_run_does_not_block() {
    let ws = workspace("stale-lock");
    let out = ws.root.join("out");
    // flock locks die with their process: the file alone is no lock.
    fs::write(ws.root.join(".out.lock"), format!("{}\n", dead_pid())).unwrap();
    let o = render(&ws, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(names(&ws.root), ["bundle", "out", "specs"]);
    fs::remove_dir_all(&ws.root).unwrap();
}

#[cfg(unix)]
#[test]
fn a_lock_file_that_is_a_symbolic_link_is_not_followed() {
    let ws = workspace("lock-link");
    let out = ws.root.join("out");
    let precious = ws.root.join("precious.txt");
    fs::write(&precious, "precious").unwrap();
    std::os::unix::fs::symlink(&precious, ws.root.join(".out.lock")).unwrap();
    let o = render(&ws, &out, &[]);
    assert_refused(&o, &out, &["cannot lock"]);
    assert_eq!(fs::read_to_string(&precious).unwrap(), "precious");
    assert!(!out.exists());
    fs::remove_dir_all(&ws.root).unwrap();
}

#[test]
fn runs_killed_at_any_moment_never_leave_a_broken_output_or_leftovers() {
    let ws = workspace("kill");
    let out = ws.root.join("out");
    assert_eq!(render(&ws, &out, &[]).status.code(), Some(0));
    let good = tree(&out);
    for i in 0..40u64 {
        let mut child = render_cmd(&ws, &out, &[])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(250 * (i % 20)));
        let _ = child.kill();
        let _ = child.wait();
        if cfg!(target_os = "linux") {
            // One atomic exchange: at every moment `out` is the complete previous or next output.
            assert_eq!(tree(&out), good, "after kill {i}");
        }
    }
    // The next run finds whatever the kills left and cleans it up.
    let o = render(&ws, &out, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(tree(&out), good);
    assert_eq!(names(&ws.root), ["bundle", "out", "specs"]);
    fs::remove_dir_all(&ws.root).unwrap();
}

#[test]
fn output_errors_from_the_system_are_in_words_without_error_numbers() {
    let ws = workspace("io-words");
    fs::write(ws.root.join("note.txt"), "a file\n").unwrap();
    // Through the binary: a path below a file.
    let o = render(&ws, Path::new("note.txt/sub"), &[]);
    assert_eq!(o.status.code(), Some(1));
    let text = stderr(&o);
    let resolved = fs::canonicalize(&ws.root).unwrap().join("note.txt/sub");
    assert!(
        text.starts_with(&format!(
            "error: note.txt/sub: cannot inspect {}: not a directory; check that the folder and its parent are writable\n",
            resolved.display()
        )),
        "{text}"
    );
    // Through the library: `Assembly::write_atomic` and `App::write` (what `synth --out` does).
    let mut assembly = proton_synth::assembly::Assembly::new();
    assembly.add("a.txt", "a").unwrap();
    let out = ws.root.join("note.txt/out");
    let e = assembly.write_atomic(&out).unwrap_err().to_string();
    assert!(e.contains(": not a directory; "), "{e}");
    let e = topics(1)
        .write(&out, &proton_synth::app::SynthOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains(": not a directory; "), "{e}");
    for text in [&text, &e] {
        assert!(!text.contains("os error"), "{text}");
    }
    fs::remove_dir_all(&ws.root).unwrap();
}
