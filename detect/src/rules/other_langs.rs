//! Elixir (with Phoenix), Deno, Dart, Flutter (web), Gleam, COBOL and Scheme (Haunt), as
//! Nixpacks and Railpack know them.

use super::tools;
use super::{Det, Preset, Toolchain};

const MIX: Toolchain = Toolchain::Fixed { pm: tools::MIX, manifest: "mix.exs" };
const PUB: Toolchain = Toolchain::Fixed { pm: tools::PUB, manifest: "pubspec.yaml" };

/// What marks a TypeScript / JavaScript entry as written for Deno (Nixpacks looks for
/// `deno.land` imports; `Deno.` globals and `jsr:` specifiers are the current spellings).
const DENO_ENTRY: &[Det] = &[
    Det::Contains("main.ts", "Deno."),
    Det::Contains("main.ts", "deno.land/"),
    Det::Contains("main.ts", "jsr:"),
];

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
            Det::Any(&[
                Det::File("deno.json"),
                Det::File("deno.jsonc"),
                Det::File("deno.lock"),
                Det::All(&[Det::File("main.ts"), Det::Any(DENO_ENTRY)]),
            ]),
            Toolchain::Fixed { pm: tools::DENO, manifest: "" },
        )
    },
    // Railpack builds a Flutter app only for the web: `web/index.html` plus the Flutter SDK
    // in `pubspec.yaml`. Without a web target the package is plain Dart.
    Preset {
        install: Some("flutter pub get"),
        build: Some("flutter build web --release"),
        output: Some("build/web"),
        ..Preset::lang(
            "flutter",
            "dart",
            Det::All(&[
                Det::File("pubspec.yaml"),
                Det::File("web/index.html"),
                Det::Contains("pubspec.yaml", "sdk: flutter"),
            ]),
            PUB,
        )
    },
    Preset {
        install: Some("dart pub get"),
        build: Some("dart compile exe bin/server.dart -o bin/server"),
        ..Preset::lang("dart", "dart", Det::File("pubspec.yaml"), PUB)
    },
    Preset {
        install: Some("gleam deps download"),
        build: Some("gleam export erlang-shipment"),
        hints: &["manifest.toml"],
        ..Preset::lang(
            "gleam",
            "gleam",
            Det::File("gleam.toml"),
            Toolchain::Fixed { pm: tools::GLEAM, manifest: "gleam.toml" },
        )
    },
    Preset {
        build: Some("cobc -x -o bin/main *.cbl"),
        ..Preset::lang(
            "cobol",
            "cobol",
            Det::Any(&[Det::Ext(".cbl"), Det::Ext(".cob")]),
            Toolchain::Fixed { pm: tools::GNUCOBOL, manifest: "" },
        )
    },
    Preset {
        build: Some("haunt build"),
        output: Some("site"),
        ..Preset::lang(
            "scheme",
            "guile",
            Det::File("haunt.scm"),
            Toolchain::Fixed { pm: tools::HAUNT, manifest: "haunt.scm" },
        )
    },
];
