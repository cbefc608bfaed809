//! Detection speed over the public corpus with every manifest preloaded (no reads in the timed
//! loop), plus the number of files a single-package Node repository needs read.
//!
//! Prints, before criterion's own numbers: the median and worst time per single-package
//! repository, the median over every corpus repository, the files read and the engine's steps;
//! then the same for crafted hostile repositories (issue 14): a `**` glob over a 60-deep
//! chain, 500 workspace packages, 100 000 directories under a `**` workspace, a 900 KB
//! `engines.node` and a 300 KB build command.

#![allow(clippy::print_stdout, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use whaleray_detect::{FileContent, MAX_STEPS, Options, Snapshot, Step, detect, detect_metered};

use common::{Case, corpus_dir, load_cases, synthetic_dir};

/// A case with everything detection reads already loaded.
struct Loaded {
    name: String,
    snapshot: Snapshot,
    options: Options,
    reads: usize,
    rounds: usize,
    steps: u64,
    single_package_node: bool,
}

fn preload(case: &Case) -> Loaded {
    let mut snapshot = case.snapshot();
    let options = case.options();
    let mut reads = 0;
    let mut rounds = 0;
    loop {
        match detect(&snapshot, &options) {
            Step::Done(_) => break,
            Step::Need(paths) => {
                rounds += 1;
                for path in paths {
                    reads += 1;
                    let content: FileContent = case.content(&path);
                    snapshot.insert_file(&path, content);
                }
            }
        }
    }
    let single_package_node = case.expected["runtime"] == "node"
        && case.files.iter().filter(|(p, _)| p.ends_with("package.json")).count() == 1;
    let steps = detect_metered(&snapshot, &options, MAX_STEPS).steps;
    Loaded { name: case.name.clone(), snapshot, options, reads, rounds, steps, single_package_node }
}

fn time_per_run(loaded: &Loaded) -> Duration {
    time_runs(loaded, 2_000)
}

fn time_runs(loaded: &Loaded, runs: u32) -> Duration {
    for _ in 0..runs / 4 {
        black_box(detect(black_box(&loaded.snapshot), black_box(&loaded.options)));
    }
    let start = Instant::now();
    for _ in 0..runs {
        black_box(detect(black_box(&loaded.snapshot), black_box(&loaded.options)));
    }
    start.elapsed() / runs
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times.get(times.len() / 2).copied().unwrap_or_default()
}

fn report(all: &[Loaded]) {
    let single: Vec<&Loaded> = all.iter().filter(|l| l.single_package_node).collect();
    let single_times: Vec<Duration> = single.iter().map(|l| time_per_run(l)).collect();
    let all_times: Vec<Duration> = all.iter().map(time_per_run).collect();
    let worst = single
        .iter()
        .zip(&single_times)
        .max_by_key(|(_, t)| **t)
        .map(|(l, t)| format!("{} ({t:?})", l.name))
        .unwrap_or_default();
    let max_reads = single.iter().map(|l| l.reads).max().unwrap_or_default();
    let next_reads = all.iter().find(|l| l.name == "vercel-example-nextjs").map_or(0, |l| l.reads);
    println!("single-package Node repositories: {}", single.len());
    println!("  median time per repository: {:?}", median(single_times));
    println!("  slowest: {worst}");
    let max_rounds = single.iter().map(|l| l.rounds).max().unwrap_or_default();
    println!("  files read: at most {max_reads} (vercel-example-nextjs: {next_reads})");
    println!("  read rounds: at most {max_rounds}");
    let all_reads = all.iter().map(|l| l.reads).max().unwrap_or_default();
    let all_rounds = all.iter().map(|l| l.rounds).max().unwrap_or_default();
    println!(
        "all {} corpus repositories: median {:?} per repository; at most {all_reads} files \
         read, in at most {all_rounds} rounds",
        all.len(),
        median(all_times)
    );
    let steps = all.iter().map(|l| l.steps).max().unwrap_or_default();
    println!("  engine steps in the final pass: at most {steps} (budget {MAX_STEPS})");
}

/// Crafted repositories from issue 14, as in-memory cases.
fn hostile_cases() -> Vec<Case> {
    let case = |name: &str, files: Vec<(String, Vec<u8>)>| Case {
        name: name.to_owned(),
        files,
        expected: serde_json::Value::Null,
    };
    let file = |p: &str, body: &str| (p.to_owned(), body.as_bytes().to_vec());
    let mut deep = vec![
        file("package.json", r#"{"private":true}"#),
        file("pnpm-workspace.yaml", "packages:\n  - '**/x/**/x/**/x/**/x/**/x/**/x/**/x/**/y'\n"),
    ];
    let mut dir = String::new();
    for _ in 0..60 {
        dir.push_str("x/");
        deep.push(file(&format!("{dir}package.json"), r#"{"name":"lib"}"#));
    }
    deep.push(file(&format!("{dir}y/package.json"), r#"{"dependencies":{"next":"14"}}"#));
    let mut many = vec![file("package.json", r#"{"private":true,"workspaces":["packages/*"]}"#)];
    for i in 0..500 {
        many.push(file(
            &format!("packages/p{i}/package.json"),
            r#"{"dependencies":{"next":"14"}}"#,
        ));
    }
    let mut wide = vec![file("package.json", r#"{"private":true,"workspaces":["**"]}"#)];
    for i in 0..100_000 {
        wide.push(file(&format!("d{}/e{}/f.txt", i / 100, i % 100), ""));
    }
    let range = ">=18 ".repeat(900 * 1024 / 5);
    let engines = format!(r#"{{"dependencies":{{"next":"14"}},"engines":{{"node":"{range}"}}}}"#);
    let command = "echo x; ".repeat(300 * 1024 / 8);
    let vercel = format!(r#"{{"buildCommand":"{command}"}}"#);
    vec![
        case("glob ** x 60-deep chain", deep),
        case("500 workspace packages", many),
        case("100 000 directories under a ** workspace", wide),
        case("900 KB engines.node", vec![file("package.json", &engines)]),
        case(
            "300 KB build command",
            vec![
                file("package.json", r#"{"dependencies":{"next":"14"}}"#),
                file("vercel.json", &vercel),
            ],
        ),
    ]
}

fn report_hostile(hostile: &[Loaded]) {
    println!("hostile repositories (time per pass with every file loaded):");
    for l in hostile {
        let verdict = match detect(&l.snapshot, &l.options) {
            Step::Done(d) => match d.exceeded {
                Some(e) => format!("exceeded: {e}"),
                None => format!("framework {:?}, root {}", d.framework, d.root_directory),
            },
            Step::Need(paths) => format!("still needs {} files", paths.len()),
        };
        println!(
            "  {:<42} {:>10.2?}  {:>7} steps  {:>3} files read  {verdict}",
            l.name,
            time_runs(l, 20),
            l.steps,
            l.reads
        );
    }
}

/// The synthetic cases (every peer provider, the issue-13 monorepo shapes): median and slowest.
fn report_synthetic(all: &[Loaded]) {
    let times: Vec<Duration> = all.iter().map(time_per_run).collect();
    let worst = all
        .iter()
        .zip(&times)
        .max_by_key(|(_, t)| **t)
        .map(|(l, t)| format!("{} ({t:?})", l.name))
        .unwrap_or_default();
    let reads = all.iter().map(|l| l.reads).max().unwrap_or_default();
    let rounds = all.iter().map(|l| l.rounds).max().unwrap_or_default();
    println!(
        "all {} synthetic cases: median {:?} per repository; slowest {worst}; at most {reads} \
         files read, in at most {rounds} rounds",
        all.len(),
        median(times)
    );
}

fn bench(c: &mut Criterion) {
    let dir = corpus_dir();
    let cases = match load_cases(&dir) {
        Ok(cases) => cases,
        Err(e) => panic!("corpus folder {} is required: {e}", dir.display()),
    };
    let all: Vec<Loaded> = cases.iter().map(preload).collect();
    report(&all);
    let synthetic: Vec<Loaded> = match load_cases(&synthetic_dir()) {
        Ok(cases) => cases.iter().map(preload).collect(),
        Err(e) => panic!("tests/cases is required: {e}"),
    };
    report_synthetic(&synthetic);
    let hostile: Vec<Loaded> = hostile_cases().iter().map(preload).collect();
    report_hostile(&hostile);
    let mut group = c.benchmark_group("detect");
    for name in [
        "vercel-example-nextjs",
        "vercel-example-ember",
        "vercel-example-express",
        "vercel-fixture-mono-turbo",
    ] {
        if let Some(l) = all.iter().find(|l| l.name == name) {
            group.bench_function(name, |b| b.iter(|| detect(black_box(&l.snapshot), &l.options)));
        }
    }
    for name in
        ["nx-integrated-two-apps", "go-work-two-services", "nested-app-below-examples-and-tests"]
    {
        if let Some(l) = synthetic.iter().find(|l| l.name == name) {
            group.bench_function(name, |b| b.iter(|| detect(black_box(&l.snapshot), &l.options)));
        }
    }
    if let Some(l) = hostile.iter().find(|l| l.name.starts_with("glob")) {
        group.bench_function("hostile: glob ** x 60-deep chain", |b| {
            b.iter(|| detect(black_box(&l.snapshot), &l.options))
        });
    }
    group.bench_function("whole corpus (71 repositories)", |b| {
        b.iter(|| {
            for l in &all {
                black_box(detect(black_box(&l.snapshot), &l.options));
            }
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
