//! Static-site generators: those found by an npm dependency, and the config-file driven ones
//! (Hugo, Zola, Jekyll, Middleman) whose generic file names need a content check or a low rank.

use super::tools;
use super::{Det, Preset, Toolchain};

const fn site(
    slug: &'static str,
    runtime: Option<&'static str>,
    detect: Det,
    build: &'static str,
    output: &'static str,
    toolchain: Toolchain,
) -> Preset {
    Preset {
        id: slug,
        slug,
        runtime,
        detect,
        build: Some(build),
        output: Some(output),
        install: None,
        toolchain,
        hints: &[],
    }
}

const BUNDLER: Toolchain = Toolchain::Fixed { pm: tools::BUNDLER, manifest: "Gemfile" };

/// The presets of this family.
pub(crate) const PRESETS: &[Preset] = &[
    Preset {
        hints: &["_config.yml"],
        ..Preset::js("hexo", Det::Dep("hexo"), "hexo generate", "public")
    },
    Preset {
        hints: &[".eleventy.js", "eleventy.config.js", "eleventy.config.cjs"],
        ..Preset::js("eleventy", Det::Dep("@11ty/eleventy"), "npx @11ty/eleventy", "_site")
    },
    Preset {
        hints: &["docusaurus.config.js", "docusaurus.config.ts"],
        ..Preset::js("docusaurus-2", Det::Dep("@docusaurus/core"), "docusaurus build", "build")
    },
    Preset::js("docusaurus", Det::Dep("docusaurus"), "docusaurus-build", "build"),
    Preset::js("vitepress", Det::Dep("vitepress"), "vitepress build docs", "docs/.vitepress/dist"),
    Preset::js("vuepress", Det::Dep("vuepress"), "vuepress build src", "src/.vuepress/dist"),
    Preset::js("gridsome", Det::Dep("gridsome"), "gridsome build", "dist"),
    Preset::js("saber", Det::Dep("saber"), "saber build", "public"),
    Preset::js("observable", Det::Dep("@observablehq/framework"), "observable build", "dist"),
    site(
        "hugo",
        None,
        Det::Any(&[
            Det::File("hugo.toml"),
            Det::File("hugo.yaml"),
            Det::File("hugo.json"),
            Det::Contains("config.toml", "baseURL"),
            Det::Contains("config.yaml", "baseURL"),
            Det::Contains("config.yml", "baseURL"),
            Det::Contains("config.json", "baseURL"),
        ]),
        "hugo --gc",
        "public",
        Toolchain::None,
    ),
    site(
        "zola",
        None,
        Det::Contains("config.toml", "base_url"),
        "zola build",
        "public",
        Toolchain::None,
    ),
    Preset {
        install: Some("bundle install"),
        ..site(
            "jekyll",
            Some("ruby"),
            Det::Any(&[Det::File("_config.yml"), Det::File("_config.yaml")]),
            "bundle exec jekyll build",
            "_site",
            BUNDLER,
        )
    },
    Preset {
        install: Some("bundle install"),
        ..site(
            "middleman",
            Some("ruby"),
            Det::File("config.rb"),
            "bundle exec middleman build",
            "build",
            BUNDLER,
        )
    },
];
