//! Compiled languages: Go, Rust (with Axum, Actix Web and Lunatic), Zig, Swift, Crystal,
//! Haskell, C / C++ (CMake or Meson) and ROS 2.

use super::tools;
use super::{Det, Preset, Toolchain};

const CARGO: Toolchain = Toolchain::Fixed { pm: tools::CARGO, manifest: "Cargo.toml" };

const fn rust(slug: &'static str, detect: Det) -> Preset {
    Preset { build: Some("cargo build --release"), ..Preset::lang(slug, "rust", detect, CARGO) }
}

/// A C / C++ project built by `tool` (Railpack's `cpp` provider); `id` tells the two apart.
const fn cpp(
    id: &'static str,
    manifest: &'static str,
    tool: &'static str,
    build: &'static str,
) -> Preset {
    Preset {
        id,
        build: Some(build),
        ..Preset::lang("cpp", "cpp", Det::File(manifest), Toolchain::Fixed { pm: tool, manifest })
    }
}

/// The presets of this family.
pub(crate) const PRESETS: &[Preset] = &[
    Preset {
        install: Some("go mod download"),
        build: Some("go build -o out ."),
        hints: &["go.work"],
        ..Preset::lang(
            "go",
            "go",
            Det::Any(&[Det::File("go.mod"), Det::File("go.work"), Det::File("main.go")]),
            Toolchain::Fixed { pm: tools::GO, manifest: "" },
        )
    },
    rust(
        "lunatic",
        Det::All(&[Det::File("Cargo.toml"), Det::Contains(".cargo/config.toml", "lunatic")]),
    ),
    rust("axum", Det::All(&[Det::File("Cargo.toml"), Det::Contains("Cargo.toml", "axum")])),
    rust(
        "actix-web",
        Det::All(&[Det::File("Cargo.toml"), Det::Contains("Cargo.toml", "actix-web")]),
    ),
    rust("rust", Det::File("Cargo.toml")),
    Preset {
        build: Some("zig build -Doptimize=ReleaseSafe"),
        hints: &["build.zig.zon"],
        ..Preset::lang(
            "zig",
            "zig",
            Det::Any(&[Det::File("build.zig"), Det::Ext(".zig")]),
            Toolchain::Fixed { pm: tools::ZIG, manifest: "" },
        )
    },
    Preset {
        build: Some("swift build -c release"),
        ..Preset::lang(
            "swift",
            "swift",
            Det::File("Package.swift"),
            Toolchain::Fixed { pm: tools::SWIFTPM, manifest: "Package.swift" },
        )
    },
    Preset {
        install: Some("shards install"),
        build: Some("shards build --release"),
        ..Preset::lang(
            "crystal",
            "crystal",
            Det::File("shard.yml"),
            Toolchain::Fixed { pm: tools::SHARDS, manifest: "shard.yml" },
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
            Toolchain::Fixed { pm: tools::STACK, manifest: "" },
        )
    },
    // A ROS 2 package also has a CMakeLists.txt, so ROS ranks above CMake.
    Preset {
        install: Some("rosdep install --from-paths src --ignore-src -r -y"),
        build: Some("colcon build"),
        ..Preset::lang(
            "ros",
            "ros",
            Det::File("package.xml"),
            Toolchain::Fixed { pm: tools::COLCON, manifest: "" },
        )
    },
    cpp(
        "cpp-cmake",
        "CMakeLists.txt",
        tools::CMAKE,
        "cmake -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build",
    ),
    cpp("cpp-meson", "meson.build", tools::MESON, "meson setup build && meson compile -C build"),
];
