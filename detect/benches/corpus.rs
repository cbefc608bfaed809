//! Detection speed over the public corpus with every manifest preloaded (no reads in the timed
//! loop), plus the number of files a single-package Node repository needs read.
//!
//! Prints, before criterion's own numbers: the median and worst time per single-package
//! repository, the median over every corpus repository, and the files read.

#![allow(clippy::print_stdout, missing_docs)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use whaleray_detect::{FileContent, Options, Snapshot, Step, detect};

use common::{Case, corpus_dir, load_cases, synthetic_dir};

/// A case with everything detection reads already loaded.
struct Loaded {
    name: String,
    snapshot: Snapshot,
    options: Options,
    reads: usize,
    rounds: usize,
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
    Loaded { name: case.name.clone(), snapshot, options, reads, rounds, single_package_node }
}

fn time_per_run(loaded: &Loaded) -> Duration {
    let runs = 2_000u32;
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
