//! Ruby (Rails, Rack apps) and PHP (Laravel, Composer apps). Rails and Laravel ship a
//! JavaScript front-end, which is why they rank above every JavaScript preset.

use super::tools;
use super::{Det, Preset, Toolchain};

const BUNDLER: Toolchain = Toolchain::Fixed { pm: tools::BUNDLER, manifest: "Gemfile" };

/// The presets of this family.
pub(crate) const PRESETS: &[Preset] = &[
    Preset {
        install: Some("bundle install"),
        build: Some("bundle exec rake assets:precompile"),
        hints: &["bin/rails", "config.ru"],
        ..Preset::lang(
            "rails",
            "ruby",
            Det::All(&[Det::File("Gemfile"), Det::File("config/application.rb")]),
            BUNDLER,
        )
    },
    Preset {
        install: Some("bundle install"),
        ..Preset::lang(
            "ruby",
            "ruby",
            Det::All(&[
                Det::File("Gemfile"),
                Det::Any(&[Det::File("config.ru"), Det::File("app.rb")]),
            ]),
            BUNDLER,
        )
    },
    Preset {
        output: Some("public"),
        hints: &["vite.config.js", "webpack.mix.js"],
        ..Preset::lang(
            "laravel",
            "php",
            Det::All(&[Det::File("artisan"), Det::File("composer.json")]),
            Toolchain::Php,
        )
    },
    Preset::lang(
        "php",
        "php",
        Det::Any(&[Det::File("composer.json"), Det::File("index.php")]),
        Toolchain::Php,
    ),
];
