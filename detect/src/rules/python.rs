//! Python: Django, Flask, FastAPI and FastHTML by a case-insensitive mention in the Python
//! manifests (as Vercel does), and the bare Python runtime by any manifest or `main.py`.

use super::{Det, Preset, Toolchain};

/// The manifests whose text names a Python framework.
const MANIFESTS: &[&str] = &["requirements.txt", "pyproject.toml", "Pipfile"];

const fn py(slug: &'static str, detect: Det) -> Preset {
    Preset::lang(slug, "python", detect, Toolchain::Python)
}

/// The presets of this family.
pub(crate) const PRESETS: &[Preset] = &[
    Preset {
        hints: &["manage.py"],
        ..py(
            "django",
            Det::Any(&[
                Det::ContainsAnyCi(MANIFESTS, "django"),
                Det::Contains("manage.py", "DJANGO_SETTINGS_MODULE"),
            ]),
        )
    },
    py("fasthtml", Det::ContainsAnyCi(&["requirements.txt"], "python-fasthtml")),
    py("fastapi", Det::ContainsAnyCi(MANIFESTS, "fastapi")),
    py("flask", Det::ContainsAnyCi(MANIFESTS, "flask")),
    py(
        "python",
        Det::Any(&[
            Det::File("requirements.txt"),
            Det::File("pyproject.toml"),
            Det::File("Pipfile"),
            Det::File("setup.py"),
            Det::File("main.py"),
        ]),
    ),
];
