//! Elixir (with Phoenix), Deno, Dart, Gleam, COBOL and Scheme (Haunt), as Nixpacks knows them.

use super::{Det, Preset, Toolchain};

const MIX: Toolchain = Toolchain::Fixed { pm: "mix", manifest: "mix.exs" };

/// The presets of this family.
pub(crate) const PRESETS: &[Preset] = &[
    Preset {
        install: Some("mix deps.get --only prod"),
        build: Some("mix compile && mix assets.deploy"),
        hints: &["config/config.exs"],
        ..Preset::lang("phoenix", "elixir", Det::Contains("mix.exs", ":phoenix"), MIX)
    },
    Preset {
        install: Some("mix deps.get --only prod"),
        build: Some("mix compile"),
        ..Preset::lang("elixir", "elixir", Det::File("mix.exs"), MIX)
    },
    Preset {
        hints: &["deno.lock"],
        ..Preset::lang(
            "deno",
            "deno",
            Det::Any(&[Det::File("deno.json"), Det::File("deno.jsonc")]),
            Toolchain::Fixed { pm: "deno", manifest: "" },
        )
    },
    Preset {
        install: Some("dart pub get"),
        build: Some("dart compile exe bin/server.dart -o bin/server"),
        ..Preset::lang(
            "dart",
            "dart",
            Det::File("pubspec.yaml"),
            Toolchain::Fixed { pm: "pub", manifest: "pubspec.yaml" },
        )
    },
    Preset {
        install: Some("gleam deps download"),
        build: Some("gleam export erlang-shipment"),
        ..Preset::lang(
            "gleam",
            "gleam",
            Det::File("gleam.toml"),
            Toolchain::Fixed { pm: "gleam", manifest: "gleam.toml" },
        )
    },
    Preset::lang(
        "cobol",
        "cobol",
        Det::Any(&[Det::Ext(".cbl"), Det::Ext(".cob")]),
        Toolchain::None,
    ),
    Preset {
        build: Some("haunt build"),
        output: Some("site"),
        ..Preset::lang("scheme", "guile", Det::File("haunt.scm"), Toolchain::None)
    },
];
