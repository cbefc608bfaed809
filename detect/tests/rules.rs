//! One minimal repository per preset: every slug detection can produce is reached by at least
//! one positive case here, and each case yields exactly that slug.

mod common;

use std::collections::BTreeSet;

use common::detect_files;
use whaleray_detect::{known_slugs, known_tools};

/// `package.json` with these dependencies.
fn deps(names: &[(&str, &str)]) -> String {
    let body: Vec<String> = names.iter().map(|(n, v)| format!("{n:?}: {v:?}")).collect();
    format!("{{\"dependencies\": {{{}}}}}", body.join(", "))
}

/// (expected slug, files); `@deps:` entries are expanded into a package.json.
fn cases() -> Vec<(&'static str, Vec<(String, String)>)> {
    let js = |slug: &'static str, d: &[(&str, &str)], extra: &[&str]| {
        let mut files = vec![("package.json".to_owned(), deps(d))];
        files.extend(extra.iter().map(|p| ((*p).to_owned(), String::new())));
        (slug, files)
    };
    let raw = |slug: &'static str, files: &[(&str, &str)]| {
        (slug, files.iter().map(|(p, c)| ((*p).to_owned(), (*c).to_owned())).collect())
    };
    vec![
        js("nextjs", &[("next", "14.2.3")], &[]),
        js("blitzjs", &[("next", "12"), ("blitz", "2")], &["blitz.config.ts"]),
        js("remix", &[("@remix-run/dev", "2"), ("vite", "5")], &[]),
        js("react-router", &[("@react-router/dev", "7"), ("vite", "6")], &[]),
        js("hydrogen", &[("@shopify/hydrogen", "1"), ("vite", "4")], &[]),
        js("nuxtjs", &[("nuxt", "3.11")], &[]),
        js("nitro", &[("nitropack", "2")], &[]),
        js("sveltekit", &[("@sveltejs/kit", "1.0.0-next.100")], &[]),
        js("sveltekit-1", &[("@sveltejs/kit", "^2.5.0"), ("vite", "5")], &[]),
        js("sapper", &[("sapper", "0.29")], &[]),
        js("solidstart-1", &[("solid-js", "1"), ("@solidjs/start", "1")], &[]),
        js("solidstart", &[("solid-js", "1"), ("solid-start", "0.2")], &[]),
        js(
            "tanstack-start-lovable",
            &[("@tanstack/react-start", "1"), ("@lovable.dev/vite-tanstack-config", "1")],
            &[],
        ),
        js("tanstack-start", &[("@tanstack/react-start", "1"), ("vite", "6")], &[]),
        js("analog", &[("@analogjs/platform", "1"), ("vite", "5")], &[]),
        js("qwik", &[("@builder.io/qwik", "1"), ("vite", "5")], &[]),
        js("vike", &[("vike", "0.4"), ("vite", "5")], &[]),
        js("waku", &[("waku", "0.21")], &[]),
        js("astro", &[("astro", "4")], &[]),
        js("gatsby", &[("gatsby", "5")], &[]),
        js("redwoodjs", &[("@redwoodjs/core", "7")], &[]),
        js("expo", &[("expo", "51")], &["app.json"]),
        js("mastra", &[("mastra", "0.1")], &[]),
        js("xmcp", &[("xmcp", "0.1")], &[]),
        js("hexo", &[("hexo", "7")], &["_config.yml"]),
        js("eleventy", &[("@11ty/eleventy", "2")], &[]),
        js("docusaurus-2", &[("@docusaurus/core", "3")], &[]),
        js("docusaurus", &[("docusaurus", "1")], &[]),
        js("vitepress", &[("vitepress", "1"), ("vite", "5")], &[]),
        js("vuepress", &[("vuepress", "1")], &[]),
        js("gridsome", &[("gridsome", "0.7")], &[]),
        js("saber", &[("saber", "0.12")], &[]),
        js("observable", &[("@observablehq/framework", "1")], &[]),
        js("sanity", &[("sanity", "3"), ("vite", "5")], &["sanity.config.ts"]),
        js("sanity-v2", &[("@sanity/cli", "^2.35.0")], &["sanity.json"]),
        js("scully", &[("@scullyio/init", "2"), ("@angular/cli", "17")], &[]),
        js("ionic-angular", &[("@ionic/angular", "7"), ("@angular/cli", "17")], &[]),
        js("angular", &[("@angular/cli", "17")], &["angular.json"]),
        js("vue", &[("@vue/cli-service", "5")], &[]),
        js("preact", &[("preact-cli", "3"), ("preact", "10")], &[]),
        js("ember", &[("ember-source", "5")], &[]),
        js("polymer", &[("polymer-cli", "1")], &[]),
        js("stencil", &[("@stencil/core", "4")], &[]),
        js("umijs", &[("umi", "4")], &[]),
        js("dojo", &[("@dojo/framework", "8")], &[]),
        js("quasar", &[("@quasar/app-vite", "1"), ("vite", "5")], &[]),
        js("svelte", &[("svelte", "3"), ("sirv-cli", "1")], &[]),
        js("brunch", &[("brunch", "4")], &[]),
        js("vite", &[("vite", "5"), ("react", "18")], &[]),
        js("ionic-react", &[("@ionic/react", "7"), ("react-scripts", "5")], &[]),
        js("create-react-app", &[("react-scripts", "5")], &[]),
        js("parcel", &[("parcel", "2")], &[]),
        js("storybook", &[("storybook", "8")], &[]),
        js("nestjs", &[("@nestjs/core", "10")], &["src/main.ts"]),
        js("express", &[("express", "4")], &["index.js"]),
        js("hono", &[("hono", "4")], &["src/index.ts"]),
        js("h3", &[("h3", "1")], &["server.mjs"]),
        js("koa", &[("koa", "2")], &["app.js"]),
        js("fastify", &[("fastify", "4")], &["server.ts"]),
        js("elysia", &[("elysia", "1")], &["src/index.ts"]),
        js("bun", &[], &["bun.lock", "server.ts"]),
        js("node", &[], &["server.js"]),
        raw("fasthtml", &[("requirements.txt", "python-fasthtml\n"), ("main.py", "")]),
        raw("fastapi", &[("requirements.txt", "fastapi\nuvicorn\n")]),
        raw("flask", &[("pyproject.toml", "[project]\ndependencies = [\"Flask>=3\"]\n")]),
        raw("django", &[("requirements.txt", "Django==5.0\n"), ("manage.py", "")]),
        raw("python", &[("main.py", "print('hi')")]),
        raw("axum", &[("Cargo.toml", "[dependencies]\naxum = \"0.7\"\n")]),
        raw("actix-web", &[("Cargo.toml", "[dependencies]\nactix-web = \"4\"\n")]),
        raw("rust", &[("Cargo.toml", "[package]\nname = \"x\"\n"), ("src/main.rs", "")]),
        raw("hugo", &[("config.toml", "baseURL = \"https://x.test/\"\n")]),
        raw("zola", &[("config.toml", "base_url = \"https://x.test\"\n")]),
        raw("jekyll", &[("_config.yml", "title: x\n")]),
        raw("middleman", &[("config.rb", ""), ("Gemfile", "gem 'middleman'\n")]),
        raw("phoenix", &[("mix.exs", "{:phoenix, \"~> 1.7\"}")]),
        raw("elixir", &[("mix.exs", "defmodule X.MixProject do end")]),
        raw("deno", &[("deno.jsonc", "{}"), ("main.ts", "")]),
        raw("deno", &[("deno.lock", "{}"), ("main.ts", "")]),
        raw("deno", &[("main.ts", "Deno.serve(() => new Response(\"hi\"));\n")]),
        raw("dotnet", &[("App.fsproj", "<Project/>")]),
        raw("go", &[("go.mod", "module x\n"), ("main.go", "")]),
        raw("spring-boot", &[("pom.xml", "<artifactId>spring-boot-starter-web</artifactId>")]),
        raw("java", &[("build.gradle", "apply plugin: 'java'")]),
        raw("scala", &[("build.sbt", "")]),
        raw("clojure", &[("project.clj", "")]),
        raw("clojure", &[("deps.edn", "{:paths [\"src\"]}"), ("build.clj", "")]),
        raw(
            "lunatic",
            &[
                ("Cargo.toml", "[package]\nname = \"x\"\n"),
                (".cargo/config.toml", "[target.wasm32-wasi]\nrunner = \"lunatic\"\n"),
            ],
        ),
        raw(
            "flutter",
            &[
                ("pubspec.yaml", "dependencies:\n  flutter:\n    sdk: flutter\n"),
                ("web/index.html", ""),
            ],
        ),
        raw("ros", &[("package.xml", "<package format=\"3\"/>"), ("CMakeLists.txt", "")]),
        raw("cpp", &[("CMakeLists.txt", "project(x)\n"), ("main.cpp", "")]),
        raw("cpp", &[("meson.build", "project('x', 'cpp')\n"), ("main.cpp", "")]),
        raw("shell", &[("start.sh", "#!/bin/sh\n")]),
        raw("laravel", &[("composer.json", "{}"), ("artisan", "")]),
        raw("php", &[("composer.json", "{}")]),
        raw("rails", &[("Gemfile", "gem 'rails'\n"), ("config/application.rb", "")]),
        raw("ruby", &[("Gemfile", "gem 'sinatra'\n"), ("config.ru", "")]),
        raw("dart", &[("pubspec.yaml", "name: x\n")]),
        raw("crystal", &[("shard.yml", "name: x\n")]),
        raw("swift", &[("Package.swift", "")]),
        raw("haskell", &[("package.yaml", ""), ("Main.hs", "")]),
        raw("gleam", &[("gleam.toml", "name = \"x\"\n")]),
        raw("zig", &[("build.zig", "")]),
        raw("cobol", &[("hello.cbl", "")]),
        raw("scheme", &[("haunt.scm", "")]),
        raw("static", &[("index.html", "<p>x</p>")]),
        raw("container", &[("Dockerfile", "FROM scratch\n")]),
    ]
}

#[test]
fn each_rule_detects_its_minimal_repository() {
    let mut wrong = Vec::new();
    for (slug, files) in cases() {
        let borrowed: Vec<(&str, &str)> =
            files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
        let d = detect_files(&borrowed);
        if d.framework.as_deref() != Some(slug) {
            wrong.push(format!("{slug}: got {:?} ({})", d.framework, d.evidence.join("; ")));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_known_slug_has_a_positive_case() {
    let covered: BTreeSet<&str> = cases().iter().map(|(slug, _)| *slug).collect();
    let missing: Vec<&str> = known_slugs().filter(|s| !covered.contains(s)).collect();
    assert!(missing.is_empty(), "no rule test for: {missing:?}");
}

#[test]
fn every_verdict_cites_evidence() {
    for (slug, files) in cases() {
        let borrowed: Vec<(&str, &str)> =
            files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
        assert!(!detect_files(&borrowed).evidence.is_empty(), "{slug} has no evidence");
    }
}

#[test]
fn hugo_and_zola_are_told_apart_by_config_content() {
    let hugo = detect_files(&[("config.toml", "baseURL = '/'\n")]);
    let zola = detect_files(&[("config.toml", "base_url = '/'\n")]);
    let neither = detect_files(&[("config.toml", "title = 'x'\n")]);
    assert_eq!(hugo.framework.as_deref(), Some("hugo"));
    assert_eq!(zola.framework.as_deref(), Some("zola"));
    assert_eq!(neither.framework, None);
}

#[test]
fn a_library_dependency_alone_is_not_a_framework() {
    for lib in ["react", "vue", "preact", "react-router", "svelte"] {
        let d = detect_files(&[("package.json", &deps(&[(lib, "1")]))]);
        assert_eq!(d.framework, None, "{lib} alone gave {:?}", d.framework);
        assert_eq!(d.runtime.as_deref(), Some("node"));
    }
}

#[test]
fn a_backend_dependency_without_an_entry_file_is_not_that_backend() {
    let d = detect_files(&[("package.json", &deps(&[("express", "4")]))]);
    assert_eq!(d.framework, None);
}

#[test]
fn peer_dependencies_do_not_count() {
    let d = detect_files(&[("package.json", r#"{"peerDependencies": {"next": "14"}}"#)]);
    assert_eq!(d.framework, None);
}

/// (files, expected package manager or build tool) for every runtime that has one.
fn tool_cases() -> Vec<(Vec<(&'static str, &'static str)>, &'static str)> {
    vec![
        (vec![("project.clj", "(defproject x \"0.1\")")], "leiningen"),
        (vec![("deps.edn", "{}")], "clojure-cli"),
        (vec![("build.sbt", "")], "sbt"),
        (vec![("App.csproj", "<Project/>")], "dotnet"),
        (vec![("go.mod", "module x\n")], "go"),
        (vec![("go.work", "go 1.22\n"), ("main.go", "")], "go"),
        (vec![("Cargo.toml", "[package]\n")], "cargo"),
        (vec![("build.zig", "")], "zig"),
        (vec![("Package.swift", "")], "swiftpm"),
        (vec![("shard.yml", "name: x\n")], "shards"),
        (vec![("stack.yaml", "")], "stack"),
        (vec![("mix.exs", "")], "mix"),
        (vec![("deno.json", "{}")], "deno"),
        (vec![("pubspec.yaml", "name: x\n")], "pub"),
        (vec![("gleam.toml", "name = \"x\"\n")], "gleam"),
        (vec![("CMakeLists.txt", "")], "cmake"),
        (vec![("meson.build", "")], "meson"),
        (vec![("package.xml", "<package/>")], "colcon"),
        (vec![("main.cbl", "")], "gnucobol"),
        (vec![("haunt.scm", "")], "haunt"),
        (vec![("Gemfile", ""), ("config.ru", "")], "bundler"),
        (vec![("composer.json", "{}")], "composer"),
        (vec![("pom.xml", "<project/>")], "maven"),
        (vec![("build.gradle", "")], "gradle"),
        (vec![("requirements.txt", "")], "pip"),
        (vec![("Pipfile", "")], "pipenv"),
        (vec![("package.json", "{}"), ("server.js", "")], "npm"),
    ]
}

#[test]
fn every_runtime_with_a_tool_reports_it_in_the_one_vocabulary() {
    let mut wrong = Vec::new();
    for (files, tool) in tool_cases() {
        assert!(known_tools().contains(&tool), "{tool} is not in the vocabulary");
        let d = detect_files(&files);
        if d.package_manager.as_deref() != Some(tool) {
            wrong.push(format!("{files:?}: want {tool}, got {:?}", d.package_manager));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_readme_documents_every_slug_and_every_tool() {
    let readme = include_str!("../README.md");
    let missing: Vec<&str> = known_slugs()
        .chain(known_tools().iter().copied())
        .filter(|name| !readme.contains(&format!("`{name}`")))
        .collect();
    assert!(missing.is_empty(), "README.md does not mention: {missing:?}");
}

#[test]
fn a_main_ts_without_deno_markers_is_not_deno() {
    let d = detect_files(&[("main.ts", "console.log(1)\n")]);
    assert_eq!(d.framework, None);
}

#[test]
fn a_flutter_package_without_a_web_target_is_plain_dart() {
    let pubspec = "dependencies:\n  flutter:\n    sdk: flutter\n";
    let d = detect_files(&[("pubspec.yaml", pubspec)]);
    assert_eq!(d.framework.as_deref(), Some("dart"));
}
