//! Embeds every `knowledge/*.toml` file into the binary.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../knowledge");
    println!("cargo::rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("knowledge/ directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut out = String::from(
        "/// `(file name, contents)` of every knowledge-base file.\npub static FILES: &[(&str, &str)] = &[\n",
    );
    for path in files {
        let name = path.file_name().expect("file name").to_string_lossy();
        let abs = path.canonicalize().expect("canonical path");
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            abs.display().to_string()
        )
        .expect("write");
    }
    out.push_str("];\n");
    let out_path =
        Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("knowledge_files.rs");
    std::fs::write(out_path, out).expect("write generated file");
}
