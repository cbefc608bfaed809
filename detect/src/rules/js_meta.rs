//! JavaScript meta-frameworks and full-stack frameworks (Vercel's presets, plus a few that
//! only Netlify knows). Each of these ranks above the bundler it is built on.

use super::{Det, Preset};

fn sveltekit_pre_1(version: &str) -> bool {
    version.trim_start_matches(['^', '~', '=', 'v']).starts_with("1.0.0-next")
}

/// The presets of this family.
pub(crate) const PRESETS: &[Preset] = &[
    Preset {
        hints: &["blitz.config.js", "blitz.config.ts"],
        ..Preset::js(
            "blitzjs",
            Det::Any(&[Det::File("blitz.config.js"), Det::File("blitz.config.ts")]),
            "blitz build",
            ".next",
        )
    },
    Preset {
        hints: &["next.config.js", "next.config.mjs", "next.config.ts"],
        ..Preset::js("nextjs", Det::Dep("next"), "next build", ".next")
    },
    Preset {
        hints: &["remix.config.js", "remix.config.mjs", "vite.config.ts", "vite.config.js"],
        ..Preset::js(
            "remix",
            Det::Any(&[
                Det::Dep("@remix-run/dev"),
                Det::File("remix.config.js"),
                Det::File("remix.config.mjs"),
            ]),
            "remix build",
            "build/client",
        )
    },
    Preset {
        hints: &["react-router.config.ts", "react-router.config.js"],
        ..Preset::js(
            "react-router",
            Det::Any(&[
                Det::Dep("@react-router/dev"),
                Det::File("react-router.config.ts"),
                Det::File("react-router.config.js"),
            ]),
            "react-router build",
            "build/client",
        )
    },
    Preset::js(
        "hydrogen",
        Det::Any(&[
            Det::Dep("@shopify/hydrogen"),
            Det::File("hydrogen.config.js"),
            Det::File("hydrogen.config.ts"),
        ]),
        "shopify hydrogen build",
        "dist",
    ),
    Preset {
        hints: &["nuxt.config.ts", "nuxt.config.js"],
        ..Preset::js(
            "nuxtjs",
            Det::Any(&[
                Det::Dep("nuxt"),
                Det::Dep("nuxt3"),
                Det::Dep("nuxt-edge"),
                Det::Dep("nuxt-nightly"),
            ]),
            "nuxt build",
            ".output",
        )
    },
    Preset::js(
        "nitro",
        Det::Any(&[Det::Dep("nitropack"), Det::Dep("nitro")]),
        "nitro build",
        ".output",
    ),
    Preset::js(
        "sveltekit",
        Det::DepVersion("@sveltejs/kit", sveltekit_pre_1, "a pre-1.0 release"),
        "svelte-kit build",
        "build",
    ),
    Preset {
        hints: &["svelte.config.js"],
        ..Preset::js("sveltekit-1", Det::Dep("@sveltejs/kit"), "vite build", "build")
    },
    Preset::js("sapper", Det::Dep("sapper"), "sapper export", "__sapper__/export"),
    Preset::js(
        "solidstart-1",
        Det::All(&[Det::Dep("solid-js"), Det::Dep("@solidjs/start")]),
        "vinxi build",
        ".output",
    ),
    Preset::js(
        "solidstart",
        Det::All(&[Det::Dep("solid-js"), Det::Dep("solid-start")]),
        "solid-start build",
        ".output",
    ),
    Preset::js(
        "tanstack-start-lovable",
        Det::All(&[
            Det::Dep("@lovable.dev/vite-tanstack-config"),
            Det::Any(&[Det::Dep("@tanstack/react-start"), Det::Dep("@tanstack/solid-start")]),
        ]),
        "vite build",
        "dist",
    ),
    Preset::js(
        "tanstack-start",
        Det::Any(&[
            Det::Dep("@tanstack/react-start"),
            Det::Dep("@tanstack/solid-start"),
            Det::Dep("@tanstack/start"),
        ]),
        "vite build",
        "dist",
    ),
    Preset::js("analog", Det::Dep("@analogjs/platform"), "vite build", "dist/analog/public"),
    Preset::js("qwik", Det::Dep("@builder.io/qwik"), "qwik build", "dist"),
    Preset::js("vike", Det::Dep("vike"), "vite build", "dist/client"),
    Preset::js("waku", Det::Dep("waku"), "waku build", "dist"),
    Preset {
        hints: &["astro.config.mjs", "astro.config.ts", "astro.config.js"],
        ..Preset::js("astro", Det::Dep("astro"), "astro build", "dist")
    },
    Preset {
        hints: &["gatsby-config.js", "gatsby-config.ts"],
        ..Preset::js("gatsby", Det::Dep("gatsby"), "gatsby build", "public")
    },
    Preset {
        hints: &["redwood.toml"],
        ..Preset::js("redwoodjs", Det::Dep("@redwoodjs/core"), "yarn rw build", "web/dist")
    },
    Preset::js(
        "expo",
        Det::All(&[Det::Dep("expo"), Det::File("app.json")]),
        "expo export -p web",
        "dist",
    ),
    Preset::js("mastra", Det::Dep("mastra"), "mastra build", ".mastra"),
    Preset::js(
        "xmcp",
        Det::Any(&[Det::Dep("xmcp"), Det::File("xmcp.config.ts"), Det::File("xmcp.config.js")]),
        "xmcp build",
        "dist",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sveltekit_pre_1_accepts_only_next_prereleases() {
        assert!(sveltekit_pre_1("1.0.0-next.589"));
        assert!(sveltekit_pre_1("^1.0.0-next.50"));
        assert!(!sveltekit_pre_1("^2.5.0"));
        assert!(!sveltekit_pre_1("1.0.0"));
    }
}
