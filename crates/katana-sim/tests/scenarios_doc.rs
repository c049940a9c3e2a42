//! `docs/scenarios.md`, the scenario format reference for QA, stays true: it has one
//! section per step (and no section for a step that does not exist), every complete
//! scenario in it parses and passes, every step section shows its step in a
//! runnable scenario with an `expect`, and every key the parser accepts is named.

use std::path::Path;

use katana_sim::runner;
use katana_sim::scenario::{Scenario, parse_scenario};
use katana_sim::steps::{STEPS, Step};
use katana_sim::suite::repo_root;

const DOC: &str = "docs/scenarios.md";

/// A fenced code block of the document.
struct Block {
    /// The line of its opening fence, 1-based.
    fence_line: usize,
    /// Its language (`yaml`, `text`, …).
    lang: String,
    /// Its text, each line ending with a newline.
    text: String,
    /// The `## ` section it is in.
    h2: String,
    /// The `### ` heading it is under, within its `## ` section.
    h3: Option<String>,
}

impl Block {
    /// A complete scenario file: YAML that starts with `description:`.
    fn is_scenario(&self) -> bool {
        self.lang == "yaml" && self.text.starts_with("description:")
    }

    /// Parses the block as a scenario. Blank lines stand in for the document
    /// above it, so every `path:line:column` points into docs/scenarios.md.
    fn parse(&self) -> Result<Scenario, String> {
        let padded = format!("{}{}", "\n".repeat(self.fence_line), self.text);
        parse_scenario(Path::new(DOC), &padded).map_err(|d| d.to_string())
    }
}

fn doc_text() -> String {
    let path = repo_root().join(DOC);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Every fenced block of the document, with the headings it is under.
fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let (mut h2, mut h3) = (String::new(), None::<String>);
    let mut open: Option<Block> = None;
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        if let Some(block) = open.as_mut() {
            if line.trim() == "```" {
                out.extend(open.take());
            } else {
                block.text.push_str(line);
                block.text.push('\n');
            }
            continue;
        }
        if let Some(lang) = line.trim_start().strip_prefix("```") {
            open = Some(Block {
                fence_line: number,
                lang: lang.trim().to_string(),
                text: String::new(),
                h2: h2.clone(),
                h3: h3.clone(),
            });
        } else if let Some(title) = line.strip_prefix("## ") {
            h2 = title.trim().to_string();
            h3 = None;
        } else if let Some(title) = line.strip_prefix("### ") {
            h3 = Some(title.trim().to_string());
        }
    }
    assert!(
        open.is_none(),
        "{DOC}: a code block is not closed (opened at line {})",
        open.map_or(0, |b| b.fence_line)
    );
    out
}

/// The `### ` headings of the `## Steps` section (outside code blocks), with their lines.
fn step_headings(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let (mut in_steps, mut in_fence) = (false, false);
    for (i, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        if let Some(title) = line.strip_prefix("## ") {
            in_steps = title.trim() == "Steps";
        } else if in_steps && let Some(title) = line.strip_prefix("### ") {
            out.push((i + 1, title.trim().to_string()));
        }
    }
    out
}

/// The step name of a heading written `` `name` ``.
fn heading_step(title: &str) -> Option<&str> {
    title
        .strip_prefix('`')
        .and_then(|t| t.strip_suffix('`'))
        .filter(|t| !t.contains('`'))
}

/// The text of the `### `name`` section under `## Steps`, up to the next heading
/// of level 2 or 3.
fn step_section(text: &str, name: &str) -> String {
    let heading = format!("### `{name}`");
    let mut out = String::new();
    let (mut in_steps, mut in_section, mut in_fence) = (false, false, false);
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        } else if !in_fence {
            if let Some(title) = line.strip_prefix("## ") {
                in_steps = title.trim() == "Steps";
                in_section = false;
            } else if line.starts_with("### ") {
                in_section = in_steps && line.trim() == heading;
                continue;
            }
        }
        if in_section {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// True when `word` appears in `text` as a whole word (not inside a longer name).
fn names_word(text: &str, word: &str) -> bool {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(is_name) && !after.is_some_and(is_name)
    })
}

/// True when the prose of `text` (fenced blocks left out) names `key` in a code
/// span: `` `key` ``, or as a word of a longer one such as `` `{ id, sku }` ``.
fn names_key(text: &str, key: &str) -> bool {
    let mut in_fence = false;
    let prose: String = text
        .lines()
        .filter(|line| {
            if line.trim_start().starts_with("```") {
                in_fence = !in_fence;
                return false;
            }
            !in_fence
        })
        .map(|line| format!("{line}\n"))
        .collect();
    prose
        .split('`')
        .skip(1)
        .step_by(2)
        .any(|span| names_word(span, key))
}

/// The keys the parser accepts in a map, read from the hint it gives for an unknown
/// key (`did you mean …? Valid keys: a, b, c`). `None` when `yaml` draws no such hint.
fn accepted_keys(yaml: &str, unknown: &str) -> Option<Vec<String>> {
    let diags = match parse_scenario(Path::new("probe.yaml"), yaml) {
        Ok(_) => panic!("the probe with the unknown key `{unknown}` parses:\n{yaml}"),
        Err(d) => d,
    };
    let diag = diags
        .iter()
        .find(|d| d.message.starts_with(&format!("unknown key `{unknown}`")))?;
    let hint = diag.hint.as_deref()?;
    let (_, list) = hint.split_once("alid keys: ")?;
    Some(list.split(", ").map(|k| k.trim().to_string()).collect())
}

/// The names of the scenario's steps, at the top level of `steps`.
fn top_level_steps(scenario: &Scenario) -> Vec<&'static str> {
    scenario.steps.iter().map(|e| e.step.name()).collect()
}

#[test]
fn every_step_has_a_section_and_every_section_is_a_step() {
    let text = doc_text();
    let headings = step_headings(&text);
    let names: Vec<&str> = STEPS.iter().map(|s| s.name).collect();
    let mut problems = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (line, title) in &headings {
        match heading_step(title) {
            Some(name) if names.contains(&name) => {
                if seen.contains(&name) {
                    problems.push(format!(
                        "{DOC}:{line}: the step `{name}` has a second section"
                    ));
                }
                seen.push(name);
            }
            Some(name) => problems.push(format!(
                "{DOC}:{line}: `### `{name}`` names no step; the steps are: {}",
                names.join(", ")
            )),
            None => problems.push(format!(
                "{DOC}:{line}: `### {title}` under `## Steps` is not a step heading; write `### `<step>``"
            )),
        }
    }
    for name in &names {
        if !seen.contains(name) {
            problems.push(format!(
                "{DOC}: the step `{name}` has no section; add `### `{name}`` under `## Steps`"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_scenario_in_the_doc_parses_and_passes() {
    let text = doc_text();
    let scenarios: Vec<Block> = blocks(&text)
        .into_iter()
        .filter(Block::is_scenario)
        .collect();
    assert!(
        scenarios.len() >= STEPS.len(),
        "{DOC} has {} complete scenarios (```yaml blocks starting with `description:`); \
         every step needs one",
        scenarios.len()
    );
    let mut problems = Vec::new();
    for block in &scenarios {
        let line = block.fence_line;
        match block.parse() {
            Err(diags) => {
                problems.push(format!(
                    "{DOC}:{line}: the scenario does not parse:\n{diags}"
                ));
            }
            Ok(scenario) => {
                if let Err(failure) = runner::run(&scenario) {
                    problems.push(format!("{DOC}:{line}: the scenario fails:\n{failure}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn every_step_section_runs_its_step_with_an_expect() {
    let text = doc_text();
    let all = blocks(&text);
    let mut problems = Vec::new();
    for step in STEPS {
        let heading = format!("`{}`", step.name);
        let uses: Vec<&Block> = all
            .iter()
            .filter(|b| b.h2 == "Steps" && b.h3.as_deref() == Some(heading.as_str()))
            .filter(|b| b.is_scenario())
            .filter(|b| {
                b.parse().is_ok_and(|s| {
                    let names = top_level_steps(&s);
                    names.contains(&step.name)
                        && s.steps.iter().any(|e| matches!(e.step, Step::Expect(_)))
                })
            })
            .collect();
        if uses.is_empty() {
            problems.push(format!(
                "{DOC}: the section of `{}` has no complete scenario (```yaml starting with \
                 `description:`) that parses and has the step `{}` and an `expect` among its steps",
                step.name, step.name
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_top_level_key_is_named() {
    let text = doc_text();
    let keys = accepted_keys("description: probe\nzz_probe_key: 1\n", "zz_probe_key")
        .expect("an unknown top-level key draws a hint listing the valid keys");
    for expected in [
        "description",
        "settings",
        "start",
        "shopify",
        "katana",
        "steps",
    ] {
        assert!(
            keys.iter().any(|k| k == expected),
            "the parser no longer accepts the top-level key `{expected}` (it accepts: {})",
            keys.join(", ")
        );
    }
    let missing: Vec<&String> = keys.iter().filter(|k| !names_key(&text, k)).collect();
    assert!(
        missing.is_empty(),
        "{DOC} does not name the top-level keys {missing:?} (write them as `key`)"
    );
}

#[test]
fn every_key_of_the_set_up_is_named() {
    let text = doc_text();
    let order = "    - { id: 1001, lines: [{ id: 11, sku: OAK-TABLE, quantity: 5 }] }\n";
    let probes: [(&str, String); 7] = [
        (
            "settings",
            "description: p\nsettings: { zz_probe_key: true }\n".into(),
        ),
        (
            "shopify",
            "description: p\nshopify: { zz_probe_key: 1 }\n".into(),
        ),
        (
            "katana",
            "description: p\nkatana: { zz_probe_key: 1 }\n".into(),
        ),
        (
            "an order",
            "description: p\nshopify:\n  orders:\n    - { id: 1001, zz_probe_key: 1, \
             lines: [{ id: 11, sku: OAK-TABLE, quantity: 5 }] }\n"
                .into(),
        ),
        (
            "a line",
            "description: p\nshopify:\n  orders:\n    - { id: 1001, lines: [{ id: 11, \
             sku: OAK-TABLE, quantity: 5, zz_probe_key: 1 }] }\n"
                .into(),
        ),
        (
            "a `katana.sales_orders` entry",
            format!(
                "description: p\nshopify:\n  orders:\n{order}katana:\n  sales_orders:\n    \
                 - {{ order: 1001, line: 11, delivery: packed, zz_probe_key: 1 }}\n"
            ),
        ),
        (
            "an MO",
            "description: p\nkatana:\n  manufacturing_orders:\n    - { id: MO-1, sku: A, \
             quantity: 1, zz_probe_key: 1 }\n"
                .into(),
        ),
    ];
    let mut problems = Vec::new();
    for (what, yaml) in &probes {
        let Some(keys) = accepted_keys(yaml, "zz_probe_key") else {
            problems.push(format!("no list of valid keys for {what}"));
            continue;
        };
        for key in keys {
            if !names_key(&text, &key) {
                problems.push(format!("{DOC} does not name the key `{key}` of {what}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_key_of_a_step_is_named_in_its_section() {
    let text = doc_text();
    let mut problems = Vec::new();
    let mut probed = 0;
    for step in STEPS {
        let yaml = format!(
            "description: p\nsteps:\n  - {}: {{ zz_probe_key: 1 }}\n",
            step.name
        );
        // Steps written as a bare MO id, and `expect` (whose keys are MO ids), list no keys.
        let Some(keys) = accepted_keys(&yaml, "zz_probe_key") else {
            continue;
        };
        probed += 1;
        let section = step_section(&text, step.name);
        for key in keys {
            if !names_key(&section, &key) {
                problems.push(format!(
                    "{DOC}: the section of `{}` does not name its key `{key}`",
                    step.name
                ));
            }
        }
    }
    assert!(probed > 0, "no step drew a list of valid keys");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
