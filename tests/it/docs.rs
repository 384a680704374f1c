//! The README stays a five-minute read that reaches every page of the documentation, and no
//! link in the README or docs/ points at a file or heading that is not there.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// GitHub's anchor for a heading: lower case; letters, digits, `-` and `_` kept, spaces to `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

fn anchors(text: &str) -> Vec<String> {
    let mut in_code = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            out.push(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// `(target, line)` of every relative markdown link `[text](target)` outside code blocks.
fn links(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut in_code = false;
    for (n, line) in text.lines().enumerate() {
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let mut rest = line;
        while let Some(i) = rest.find("](") {
            let after = &rest[i + 2..];
            let Some(end) = after.find(')') else { break };
            let target = &after[..end];
            if !target.contains("://") && !target.starts_with("mailto:") {
                out.push((target.to_string(), n + 1));
            }
            rest = &after[end..];
        }
    }
    out
}

fn check_links(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let dir = file.parent().unwrap();
    let mut broken = Vec::new();
    for (target, line) in links(&text) {
        let (path, anchor) = target.split_once('#').unwrap_or((&target, ""));
        let linked = if path.is_empty() { file.to_path_buf() } else { dir.join(path) };
        let Ok(linked_text) = std::fs::read_to_string(&linked) else {
            broken.push(format!("{}:{line}: {target}: no such file", file.display()));
            continue;
        };
        if !anchor.is_empty() && !anchors(&linked_text).iter().any(|a| a == anchor) {
            broken.push(format!("{}:{line}: {target}: no such heading", file.display()));
        }
    }
    broken
}

#[test]
fn the_readme_is_short_and_reaches_every_page() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(lines <= 250, "README.md has {lines} lines; keep it a five-minute read (≤ 250)");
    let linked: Vec<String> =
        links(&readme).into_iter().map(|(t, _)| t.split('#').next().unwrap().to_string()).collect();
    for page in std::fs::read_dir(root().join("docs")).unwrap() {
        let name = format!("docs/{}", page.unwrap().file_name().to_string_lossy());
        assert!(linked.contains(&name), "README.md does not link {name}");
    }
    for section in [
        "## What it does, and why",
        "## Install",
        "## Before you start",
        "## Quick start",
        "## Commands",
        "## How it compares",
    ] {
        assert!(readme.lines().any(|l| l == section), "README.md lacks {section:?}");
    }
}

#[test]
fn every_relative_link_resolves() {
    let mut files = vec![root().join("README.md"), root().join("CHANGELOG.md")];
    for page in std::fs::read_dir(root().join("docs")).unwrap() {
        files.push(page.unwrap().path());
    }
    let broken: Vec<String> = files.iter().flat_map(|f| check_links(f)).collect();
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert_eq!(slug("Which sessions a command works on"), "which-sessions-a-command-works-on");
    assert_eq!(slug(" Hardening: whose files ssofresh trusts"), "hardening-whose-files-ssofresh-trusts");
}
