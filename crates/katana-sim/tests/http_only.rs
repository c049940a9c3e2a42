//! The HTTP transport talks to the mock Shopify server only over HTTP, as a test
//! in any language would: after `ShopifyMock::start` (and reading its address and
//! token), nothing in the harness's code calls the mock's library. Checked on the
//! source, where a new in-process call would appear: `src/http.rs`, the steps and
//! everything else under `src/`. (`Http::mock()` stays, for tests that look
//! inside the server; the harness itself never calls it.)

use std::path::Path;

use katana_sim::suite::repo_root;

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file, without comments (`//` to the end of the line).
fn code_lines(text: &str) -> Vec<(usize, String)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| {
            let code = match l.find("//") {
                Some(at) => &l[..at],
                None => l,
            };
            (i + 1, code.to_owned())
        })
        .filter(|(_, l)| !l.trim().is_empty())
        .collect()
}

#[test]
fn the_harness_calls_the_mock_only_over_http() {
    let src = repo_root().join("crates/katana-sim/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 20, "the sources were found: {files:?}");
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let name = file.strip_prefix(&src).unwrap().display().to_string();
        for (n, line) in code_lines(&text) {
            // The accessor for tests, and nothing else, reads the field.
            let reads_field = line.contains("self.mock") && !line.contains("&self.mock");
            let calls_accessor = line.contains(".mock()");
            if reads_field || calls_accessor {
                found.push(format!("{name}:{n}: {}", line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "in-process calls into the mock: {found:#?}\nuse the Admin API or the control API (/__mock/) instead"
    );

    // In `Http::start`, the started server is asked only where it listens and for
    // its token; everything after goes over HTTP.
    let http = std::fs::read_to_string(src.join("http.rs")).unwrap();
    let calls: Vec<String> = code_lines(&http)
        .into_iter()
        .filter(|(_, l)| l.contains("mock.") && !l.contains("shopify_mock::"))
        .map(|(_, l)| l.trim().to_owned())
        .collect();
    assert_eq!(
        calls,
        [
            "mock.base_url(),",
            "mock.admin_url(),",
            "mock.access_token().to_owned(),"
        ],
        "the only library calls after start"
    );
}
