//! The one precedence list: when several presets match a directory, the earliest wins, and
//! the others are cited as runners-up in the evidence.
//!
//! The order encodes these decisions (each has a unit test in `tests/precedence.rs`):
//! 1. Explicit beats inferred: a `Dockerfile.vercel` / `Containerfile.vercel` opt-in is first.
//! 2. Server frameworks that embed a JavaScript toolchain (Laravel, Rails, Phoenix, Django,
//!    Spring Boot) beat the JavaScript presets, so a Laravel app with Vite is Laravel.
//! 3. A meta-framework beats the bundler it is built on (Next, Remix, React Router, SvelteKit,
//!    Nuxt, Nitro, Hydrogen, TanStack Start, Astro, VitePress, ... before Vite); Nuxt before
//!    Nitro; Remix and React Router before Hydrogen; Scully and Ionic Angular before Angular.
//! 4. Detect the build package, not the runtime library; Storybook is weak and ranks last of
//!    the JavaScript presets.
//! 5. A framework beats a bare runtime: JavaScript backends before `bun` / `node`;
//!    FastHTML / FastAPI / Flask before `python`; Axum / Actix Web before `rust`.
//! 6. Config-file generators (Hugo, Zola, Jekyll, Middleman) rank below every npm-dependency
//!    preset (a dependency is stronger evidence than a generic file name).
//! 7. Bare runtimes follow Nixpacks' provider order (Elixir, Deno, .NET, Go, Java, PHP, Ruby,
//!    Node, Python, Rust, ...; then Railpack's additions: ROS, C / C++), except that Node needs a server entry or a start script, so a
//!    Python app with a tooling-only `package.json` is Python.
//! 8. Static files, then a bare `start.sh`, then a plain Dockerfile, are the last resort.

/// Preset ids, highest precedence first. Every preset appears exactly once.
pub(crate) const ORDER: &[&str] = &[
    // 1. explicit opt-in
    "container-opt-in",
    // 2. server frameworks with their own front-end toolchain
    "laravel",
    "rails",
    "phoenix",
    "django",
    "spring-boot",
    // 3. JavaScript meta-frameworks
    "blitzjs",
    "nextjs",
    "tanstack-start-lovable",
    "tanstack-start",
    "remix",
    "react-router",
    "hydrogen",
    "nuxtjs",
    "nitro",
    "sveltekit",
    "sveltekit-1",
    "sapper",
    "solidstart-1",
    "solidstart",
    "analog",
    "qwik",
    "vike",
    "waku",
    "astro",
    "gatsby",
    "redwoodjs",
    "expo",
    "mastra",
    "xmcp",
    // static-site generators with an npm dependency
    "hexo",
    "eleventy",
    "docusaurus-2",
    "docusaurus",
    "vitepress",
    "vuepress",
    "gridsome",
    "saber",
    "observable",
    "sanity",
    "sanity-v2",
    // SPA frameworks and their CLIs
    "scully",
    "ionic-angular",
    "angular",
    "vue",
    "preact",
    "ember",
    "polymer",
    "stencil",
    "umijs",
    "dojo",
    "quasar",
    "svelte",
    "brunch",
    // bundlers (Vite supersedes Ionic React, whose current templates use Vite)
    "vite",
    "ionic-react",
    "create-react-app",
    "parcel",
    // 4. weak
    "storybook",
    // 5. JavaScript backends, then other-language frameworks
    "nestjs",
    "express",
    "hono",
    "h3",
    "koa",
    "fastify",
    "elysia",
    "fasthtml",
    "fastapi",
    "flask",
    "lunatic",
    "axum",
    "actix-web",
    // 6. config-file site generators
    "hugo",
    "zola",
    "jekyll",
    "middleman",
    // 7. runtimes
    "elixir",
    "deno",
    "dotnet",
    "go",
    "java",
    "scala",
    "clojure",
    "clojure-deps",
    "php",
    "ruby",
    "bun",
    "node",
    "python",
    "rust",
    "flutter",
    "dart",
    "crystal",
    "swift",
    "haskell",
    "gleam",
    "zig",
    "cobol",
    "scheme",
    "ros",
    "cpp-cmake",
    "cpp-meson",
    // 8. last resorts
    "static",
    "shell",
    "container",
];
