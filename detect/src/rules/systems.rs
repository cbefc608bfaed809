//! Compiled languages: Go, Rust (with Axum and Actix Web), Zig, Swift, Crystal and Haskell.

use super::{Det, Preset, Toolchain};

const CARGO: Toolchain = Toolchain::Fixed { pm: "cargo", manifest: "Cargo.toml" };

const fn rust(slug: &'static str, detect: Det) -> Preset {
    Preset { build: Some("cargo build --release"), ..Preset::lang(slug, "rust", detect, CARGO) }
}

/// The presets of this family.
pub(crate) const PRESETS: &[Preset] = &[
    Preset {
        install: Some("go mod download"),
        build: Some("go build -o out ."),
        ..Preset::lang(
            "go",
            "go",
            Det::Any(&[Det::File("go.mod"), Det::File("main.go")]),
            Toolchain::Fixed { pm: "go", manifest: "go.mod" },
        )
    },
    rust("axum", Det::All(&[Det::File("Cargo.toml"), Det::Contains("Cargo.toml", "axum")])),
    rust(
        "actix-web",
        Det::All(&[Det::File("Cargo.toml"), Det::Contains("Cargo.toml", "actix-web")]),
    ),
    rust("rust", Det::File("Cargo.toml")),
    Preset {
        build: Some("zig build -Doptimize=ReleaseSafe"),
        ..Preset::lang(
            "zig",
            "zig",
            Det::Any(&[Det::File("build.zig"), Det::Ext(".zig")]),
            Toolchain::None,
        )
    },
    Preset {
        build: Some("swift build -c release"),
        ..Preset::lang(
            "swift",
            "swift",
            Det::File("Package.swift"),
            Toolchain::Fixed { pm: "swiftpm", manifest: "Package.swift" },
        )
    },
    Preset {
        install: Some("shards install"),
        build: Some("shards build --release"),
        ..Preset::lang(
            "crystal",
            "crystal",
            Det::File("shard.yml"),
            Toolchain::Fixed { pm: "shards", manifest: "shard.yml" },
        )
    },
    Preset {
        install: Some("stack setup"),
        build: Some("stack build"),
        ..Preset::lang(
            "haskell",
            "haskell",
            Det::Any(&[
                Det::File("stack.yaml"),
                Det::All(&[Det::File("package.yaml"), Det::Ext(".hs")]),
            ]),
            Toolchain::Fixed { pm: "stack", manifest: "" },
        )
    },
];
