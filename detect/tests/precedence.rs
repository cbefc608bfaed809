//! Precedence decisions, one test per principle of the precedence list (see
//! `src/rules/precedence.rs`): when several presets match, the documented one wins.

mod common;

use common::detect_files;

fn framework(files: &[(&str, &str)]) -> Option<String> {
    detect_files(files).framework
}

fn pkg(deps: &str) -> String {
    format!("{{\"dependencies\": {{{deps}}}}}")
}

#[test]
fn explicit_container_opt_in_beats_every_framework() {
    let p = pkg(r#""next": "14""#);
    assert_eq!(
        framework(&[("package.json", &p), ("Dockerfile.vercel", "")]).as_deref(),
        Some("container")
    );
}

#[test]
fn plain_dockerfile_is_only_a_last_resort() {
    let p = pkg(r#""astro": "4""#);
    assert_eq!(framework(&[("package.json", &p), ("Dockerfile", "")]).as_deref(), Some("astro"));
    assert_eq!(framework(&[("Dockerfile", "")]).as_deref(), Some("container"));
    assert_eq!(
        framework(&[("requirements.txt", ""), ("Dockerfile", "")]).as_deref(),
        Some("python")
    );
}

#[test]
fn server_frameworks_with_a_js_toolchain_beat_the_bundler() {
    let vite = pkg(r#""vite": "5""#);
    let laravel = [("package.json", vite.as_str()), ("composer.json", "{}"), ("artisan", "")];
    assert_eq!(framework(&laravel).as_deref(), Some("laravel"));
    let rails = [("package.json", vite.as_str()), ("Gemfile", ""), ("config/application.rb", "")];
    assert_eq!(framework(&rails).as_deref(), Some("rails"));
    let django = [("package.json", vite.as_str()), ("requirements.txt", "django\n")];
    assert_eq!(framework(&django).as_deref(), Some("django"));
    let phoenix = [("package.json", vite.as_str()), ("mix.exs", "{:phoenix, \"~> 1.7\"}")];
    assert_eq!(framework(&phoenix).as_deref(), Some("phoenix"));
}

#[test]
fn meta_frameworks_beat_the_bundler_they_are_built_on() {
    for (dep, slug) in [
        ("@remix-run/dev", "remix"),
        ("@react-router/dev", "react-router"),
        ("@sveltejs/kit", "sveltekit-1"),
        ("@shopify/hydrogen", "hydrogen"),
        ("@tanstack/react-start", "tanstack-start"),
        ("nitropack", "nitro"),
        ("vitepress", "vitepress"),
        ("astro", "astro"),
    ] {
        let p = pkg(&format!(r#""vite": "5", "{dep}": "1""#));
        assert_eq!(framework(&[("package.json", &p)]).as_deref(), Some(slug), "{dep}");
    }
}

#[test]
fn remix_and_react_router_beat_hydrogen_and_nuxt_beats_nitro() {
    let p = pkg(r#""@shopify/hydrogen": "2", "@remix-run/dev": "2""#);
    assert_eq!(framework(&[("package.json", &p)]).as_deref(), Some("remix"));
    let p = pkg(r#""@shopify/hydrogen": "2", "@react-router/dev": "7""#);
    assert_eq!(framework(&[("package.json", &p)]).as_deref(), Some("react-router"));
    let p = pkg(r#""nuxt": "3", "nitropack": "2""#);
    assert_eq!(framework(&[("package.json", &p)]).as_deref(), Some("nuxtjs"));
}

#[test]
fn nextjs_beats_vite_and_storybook() {
    let p = pkg(r#""next": "14", "vite": "5", "storybook": "8""#);
    assert_eq!(framework(&[("package.json", &p)]).as_deref(), Some("nextjs"));
}

#[test]
fn vite_beats_ionic_react_and_create_react_app() {
    let p = pkg(r#""@ionic/react": "7", "react-scripts": "5", "vite": "5""#);
    assert_eq!(framework(&[("package.json", &p)]).as_deref(), Some("vite"));
}

#[test]
fn scully_and_ionic_angular_beat_angular() {
    let p = pkg(r#""@angular/cli": "17", "@scullyio/init": "2""#);
    assert_eq!(framework(&[("package.json", &p)]).as_deref(), Some("scully"));
    let p = pkg(r#""@angular/cli": "17", "@ionic/angular": "7""#);
    assert_eq!(framework(&[("package.json", &p)]).as_deref(), Some("ionic-angular"));
}

#[test]
fn js_backends_beat_the_bare_node_runtime() {
    let p = r#"{"dependencies": {"express": "4"}, "scripts": {"start": "node server.js"}}"#;
    assert_eq!(framework(&[("package.json", p), ("server.js", "")]).as_deref(), Some("express"));
}

#[test]
fn python_frameworks_beat_the_bare_python_runtime_and_node() {
    let p = r#"{"devDependencies": {"prettier": "3"}}"#;
    assert_eq!(
        framework(&[("package.json", p), ("requirements.txt", "flask\n")]).as_deref(),
        Some("flask")
    );
    assert_eq!(
        framework(&[("package.json", p), ("requirements.txt", "requests\n")]).as_deref(),
        Some("python")
    );
}

#[test]
fn rust_frameworks_beat_the_bare_rust_runtime() {
    assert_eq!(framework(&[("Cargo.toml", "axum = \"0.7\"")]).as_deref(), Some("axum"));
    assert_eq!(framework(&[("Cargo.toml", "serde = \"1\"")]).as_deref(), Some("rust"));
}

#[test]
fn an_npm_dependency_beats_a_config_file_generator() {
    let p = pkg(r#""hexo": "7""#);
    assert_eq!(framework(&[("package.json", &p), ("_config.yml", "")]).as_deref(), Some("hexo"));
    let p = pkg(r#""@11ty/eleventy": "2""#);
    assert_eq!(
        framework(&[("package.json", &p), ("config.toml", "baseURL = '/'")]).as_deref(),
        Some("eleventy")
    );
}

#[test]
fn runtimes_follow_the_nixpacks_order() {
    let bare_pkg = r#"{"scripts": {"start": "node x.js"}}"#;
    assert_eq!(framework(&[("go.mod", ""), ("package.json", bare_pkg)]).as_deref(), Some("go"));
    assert_eq!(
        framework(&[("composer.json", "{}"), ("package.json", bare_pkg)]).as_deref(),
        Some("php")
    );
    assert_eq!(
        framework(&[("deno.json", "{}"), ("package.json", bare_pkg)]).as_deref(),
        Some("deno")
    );
    assert_eq!(
        framework(&[("requirements.txt", ""), ("package.json", bare_pkg)]).as_deref(),
        Some("node")
    );
    assert_eq!(
        framework(&[("Cargo.toml", ""), ("requirements.txt", "")]).as_deref(),
        Some("python")
    );
}

#[test]
fn static_files_rank_below_every_runtime() {
    assert_eq!(framework(&[("index.html", ""), ("main.py", "")]).as_deref(), Some("python"));
    assert_eq!(framework(&[("index.html", "")]).as_deref(), Some("static"));
}

#[test]
fn runners_up_are_cited_in_the_evidence() {
    let p = pkg(r#""@remix-run/dev": "2", "vite": "5""#);
    let d = detect_files(&[("package.json", &p)]);
    assert!(
        d.evidence.contains(&"vite also matched; remix takes precedence".to_owned()),
        "{:?}",
        d.evidence
    );
}
