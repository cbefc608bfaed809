//! Single-page-app frameworks, their CLIs and the bundlers (Vercel's presets). Detection keys
//! on the CLI or build package, never on the runtime library (`preact-cli`, not `preact`).

use super::{Det, Preset};

fn major_is_2(version: &str) -> bool {
    version.trim_start_matches(['^', '~', '=', 'v', ' ']).starts_with('2')
}

/// The presets of this family.
pub(crate) const PRESETS: &[Preset] = &[
    Preset::js("scully", Det::Dep("@scullyio/init"), "ng build && scully", "dist"),
    Preset::js("ionic-angular", Det::Dep("@ionic/angular"), "ng build", "www"),
    Preset {
        hints: &["angular.json"],
        ..Preset::js("angular", Det::Dep("@angular/cli"), "ng build", "dist")
    },
    Preset::js("ionic-react", Det::Dep("@ionic/react"), "react-scripts build", "build"),
    Preset::js(
        "create-react-app",
        Det::Any(&[Det::Dep("react-scripts"), Det::Dep("react-dev-utils")]),
        "react-scripts build",
        "build",
    ),
    Preset {
        hints: &["vue.config.js"],
        ..Preset::js("vue", Det::Dep("@vue/cli-service"), "vue-cli-service build", "dist")
    },
    Preset::js("preact", Det::Dep("preact-cli"), "preact build", "build"),
    Preset {
        hints: &["ember-cli-build.js"],
        ..Preset::js(
            "ember",
            Det::Any(&[Det::Dep("ember-source"), Det::Dep("ember-cli")]),
            "ember build",
            "dist",
        )
    },
    Preset::js("polymer", Det::Dep("polymer-cli"), "polymer build", "build"),
    Preset {
        hints: &["stencil.config.ts"],
        ..Preset::js("stencil", Det::Dep("@stencil/core"), "stencil build", "www")
    },
    Preset::js("umijs", Det::Dep("umi"), "umi build", "dist"),
    Preset::js(
        "dojo",
        Det::Any(&[Det::Dep("@dojo/framework"), Det::File(".dojorc")]),
        "dojo build",
        "output/dist",
    ),
    Preset::js(
        "quasar",
        Det::Any(&[Det::Dep("@quasar/app-vite"), Det::Dep("@quasar/app-webpack")]),
        "quasar build",
        "dist/spa",
    ),
    Preset::js(
        "svelte",
        Det::All(&[Det::Dep("svelte"), Det::Dep("sirv-cli")]),
        "rollup -c",
        "public",
    ),
    Preset::js(
        "brunch",
        Det::Any(&[Det::Dep("brunch"), Det::File("brunch-config.js")]),
        "brunch build --production",
        "public",
    ),
    Preset {
        hints: &["vite.config.ts", "vite.config.js", "vite.config.mjs"],
        ..Preset::js("vite", Det::Dep("vite"), "vite build", "dist")
    },
    Preset::js(
        "parcel",
        Det::Any(&[Det::Dep("parcel"), Det::Dep("parcel-bundler")]),
        "parcel build",
        "dist",
    ),
    Preset::js(
        "sanity",
        Det::All(&[
            Det::Dep("sanity"),
            Det::Any(&[
                Det::File("sanity.config.js"),
                Det::File("sanity.config.jsx"),
                Det::File("sanity.config.ts"),
                Det::File("sanity.config.tsx"),
            ]),
        ]),
        "sanity build",
        "dist",
    ),
    Preset::js(
        "sanity-v2",
        Det::All(&[
            Det::DepVersion("@sanity/cli", major_is_2, "major version 2"),
            Det::File("sanity.json"),
        ]),
        "sanity build",
        "dist",
    ),
    Preset::js("storybook", Det::Dep("storybook"), "storybook build", "storybook-static"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn major_is_2_reads_ranges() {
        assert!(major_is_2("^2.35.0"));
        assert!(!major_is_2("3.0.0"));
    }
}
