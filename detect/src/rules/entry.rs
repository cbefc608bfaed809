//! Entry-file detectors shared by the JavaScript backend presets: Vercel looks for an entry
//! file at the root or in `src/`; the corpus keeps such files empty, so presence is the signal.

use super::Det;

/// Expands to `Det::Any` over `<dir><stem>.<ext>` for the usual JavaScript/TypeScript
/// extensions, in the root and in `src/`.
macro_rules! entry_files {
    ($($stem:literal),+) => {
        Det::Any(&[
            $(
                Det::File(concat!($stem, ".js")),
                Det::File(concat!($stem, ".cjs")),
                Det::File(concat!($stem, ".mjs")),
                Det::File(concat!($stem, ".ts")),
                Det::File(concat!($stem, ".cts")),
                Det::File(concat!($stem, ".mts")),
                Det::File(concat!("src/", $stem, ".js")),
                Det::File(concat!("src/", $stem, ".cjs")),
                Det::File(concat!("src/", $stem, ".mjs")),
                Det::File(concat!("src/", $stem, ".ts")),
                Det::File(concat!("src/", $stem, ".cts")),
                Det::File(concat!("src/", $stem, ".mts")),
            )+
        ])
    };
}

/// An `app`, `index` or `server` entry file (Express, Hono, H3, Koa, Fastify, Elysia).
pub(crate) const APP_ENTRY: Det = entry_files!("app", "index", "server");

/// A `main`, `app`, `index` or `server` entry file (NestJS).
pub(crate) const NEST_ENTRY: Det = entry_files!("main", "app", "index", "server");

/// A `server` entry file (the plain Node and Bun runtime presets).
pub(crate) const SERVER_ENTRY: Det = entry_files!("server");
