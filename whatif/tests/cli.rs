//! The `whatif` binary end to end: good input writes the table, JSON, CSV and chart; bad input
//! is an error naming the line (or entry) and field, and nothing is written.

use std::path::{Path, PathBuf};
use std::process::Command;

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("whatif-cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn whatif(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_whatif"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn calendar(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../events/traces")
        .join(name)
        .display()
        .to_string()
}

/// Two hours around a jump in traffic.
fn small_trace(dir: &Path) -> String {
    let mut text = String::from("time,invocations\n");
    for m in 0..120 {
        let n = if (50..80).contains(&m) { 9000 } else { 1800 };
        text.push_str(&format!(
            "2026-11-10T{:02}:{:02}:00Z,{n}\n",
            10 + m / 60,
            m % 60
        ));
    }
    let path = dir.join("jump.csv");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn a_run_prints_the_table_and_writes_json_csv_and_chart() {
    let dir = scratch("ok");
    let trace = small_trace(&dir);
    let out = dir.join("out");
    let (ok, stdout, stderr) = whatif(&[
        "run",
        "--trace",
        &trace,
        "--calendar",
        &calendar("flash-crowd-calendar.json"),
        "--out",
        out.to_str().unwrap(),
        "--boot-minutes",
        "5",
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("instance boot 5 min"), "{stdout}");
    for policy in [
        "| target-tracking ",
        "| target-tracking+prewarm ",
        "| target-tracking+latency ",
        "| target-tracking+demand ",
    ] {
        assert!(stdout.contains(policy), "{policy} missing from\n{stdout}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("jump.json")).unwrap()).unwrap();
    assert_eq!(json["policies"].as_array().unwrap().len(), 4);
    assert!(
        json["policies"][0]["violation_minutes"].as_u64().unwrap() > 0,
        "{json}"
    );
    assert_eq!(json["model"]["boot_minutes"], 5);
    let csv = std::fs::read_to_string(out.join("jump.minutes.csv")).unwrap();
    assert_eq!(csv.lines().count(), 121);
    assert!(csv.starts_with("time,invocations,target-tracking:min_capacity,"));
    let svg = std::fs::read_to_string(out.join("jump.svg")).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("<polyline"),
        "{}",
        &svg[..200.min(svg.len())]
    );
    assert!(stdout.contains(&out.join("jump.svg").display().to_string()));
}

#[test]
fn bad_input_names_the_line_and_field_and_writes_nothing() {
    let dir = scratch("bad");
    let good = small_trace(&dir);
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let negative = write(
        "negative.csv",
        "time,invocations\n2026-11-10T10:00:00Z,5\n2026-11-10T10:01:00Z,-2\n",
    );
    let unsorted = write(
        "unsorted.csv",
        "2026-11-10T10:05:00Z,5\n2026-11-10T10:01:00Z,2\n",
    );
    let duplicate = write(
        "dup.csv",
        "2026-11-10T10:05:00Z,5\n2026-11-10T10:05:00Z,2\n",
    );
    let garbage = write("garbage.csv", "time,invocations\n2026-11-10T10:05:00Z;5\n");
    let zone = write(
        "zone.json",
        r#"[{"name":"e","endpoint":"prod-ranker","start":"2026-11-10T10:30","end":"2026-11-10T11:00","timezone":"Mars/Olympus","min_capacity":4}]"#,
    );
    let order = write(
        "order.json",
        r#"[{"name":"e","endpoint":"prod-ranker","start":"2026-11-10T10:30","end":"2026-11-10T10:00","timezone":"Etc/UTC","min_capacity":4}]"#,
    );
    let broken = write("broken.json", "[{\"name\": \n");
    let cases = [
        (
            negative.clone(),
            None,
            "line 3, field invocations: -2 is negative",
        ),
        (
            unsorted.clone(),
            None,
            "line 2, field time: 2026-11-10T10:01:00Z is before line 1's time",
        ),
        (
            duplicate.clone(),
            None,
            "line 2, field time: 2026-11-10T10:05:00Z repeats the time of line 1",
        ),
        (garbage.clone(), None, "line 2, field row"),
        (good.clone(), Some(zone), "calendar[0].timezone"),
        (good.clone(), Some(order), "calendar[0].end"),
        (good.clone(), Some(broken), "not JSON: line 2"),
    ];
    for (trace, calendar, expected) in cases {
        let out = dir.join("never");
        let mut args = vec!["run", "--trace", &trace, "--out", out.to_str().unwrap()];
        if let Some(c) = &calendar {
            args.extend(["--calendar", c.as_str()]);
        }
        let (ok, stdout, stderr) = whatif(&args);
        assert!(!ok, "{expected}: succeeded with {stdout}");
        assert!(stderr.contains(expected), "{expected:?} not in {stderr:?}");
        assert!(!out.exists(), "{expected}: something was written");
    }
    let (ok, _, stderr) = whatif(&[
        "run",
        "--trace",
        &good,
        "--policies",
        "target-tracking+prewarm",
    ]);
    assert!(!ok && stderr.contains("flag --calendar"), "{stderr}");
}

#[test]
fn generate_writes_the_three_sample_traces() {
    let dir = scratch("generate");
    let (ok, stdout, stderr) = whatif(&[
        "generate",
        "--out",
        dir.to_str().unwrap(),
        "--scenario",
        "flash-crowd",
    ]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("flash-crowd.csv: 1440 minutes"), "{stdout}");
    let text = std::fs::read_to_string(dir.join("flash-crowd.csv")).unwrap();
    assert_eq!(text.lines().count(), 1441);
    let (ok, _, stderr) = whatif(&[
        "generate",
        "--out",
        dir.to_str().unwrap(),
        "--scenario",
        "nope",
    ]);
    assert!(!ok && stderr.contains("flag --scenario"), "{stderr}");
}
