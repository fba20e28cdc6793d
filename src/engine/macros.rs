//! Macros called before a macro their body needs is defined. Jinja2 resolves the names in a macro's body
//! when the body runs, so `{% macro a() %}{{ b() }}{% endmacro %}{{ a() }}{% macro b() %}…` fails: `b` is
//! undefined when `a()` runs. [`late_calls`] finds such calls from what [`super::scan`] recorded, in time
//! linear in the calls for each macro called at the top level.

use std::collections::HashMap;

/// `(line, macro, callee)` for the first top-level call of each macro whose body reaches (directly or
/// through other macros) a macro defined only after that call. `macros` are the definitions in order,
/// `body_calls` the `(macro, name)` calls inside macro bodies, `top_calls` the `(line, name, macros defined
/// so far)` calls at the top level.
pub fn late_calls(
    macros: &[(usize, String)],
    body_calls: &[(String, String)],
    top_calls: &[(usize, String, usize)],
) -> Vec<(usize, String, String)> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, (_, name)) in macros.iter().enumerate() {
        index.entry(name.as_str()).or_insert(i);
    }
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); macros.len()];
    for (caller, callee) in body_calls {
        if let (Some(&a), Some(&b)) = (index.get(caller.as_str()), index.get(callee.as_str())) {
            edges[a].push(b);
        }
    }
    for e in &mut edges {
        e.sort_unstable();
        e.dedup();
    }
    let mut latest: HashMap<usize, usize> = HashMap::new();
    let mut reported = vec![false; macros.len()];
    let mut out = Vec::new();
    for (line, name, defined) in top_calls {
        let Some(&m) = index.get(name.as_str()) else {
            continue;
        };
        if reported[m] {
            continue;
        }
        let last = *latest.entry(m).or_insert_with(|| latest_reached(&edges, m));
        if last >= *defined && last != m {
            reported[m] = true;
            out.push((*line, name.clone(), macros[last].1.clone()));
        }
    }
    out
}

/// The latest-defined macro reachable from `start` through calls in bodies (`start` itself when none).
fn latest_reached(edges: &[Vec<usize>], start: usize) -> usize {
    let mut seen = vec![false; edges.len()];
    seen[start] = true;
    let mut todo = vec![start];
    let mut latest = start;
    while let Some(m) = todo.pop() {
        for &c in &edges[m] {
            if !seen[c] {
                seen[c] = true;
                latest = latest.max(c);
                todo.push(c);
            }
        }
    }
    latest
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn finds_late_macros_directly_and_through_other_macros() {
        let macros: Vec<(usize, String)> = [(1, "b"), (2, "a"), (4, "c")]
            .iter()
            .map(|(l, n)| (*l, n.to_string()))
            .collect();
        // a calls b, b calls c; `a()` on line 3 runs before `c` (line 4) exists; on line 5 it is fine.
        let body = owned(&[("a", "b"), ("b", "c"), ("c", "a")]);
        let top = vec![(3, "a".to_owned(), 2), (5, "a".to_owned(), 3), (6, "b".to_owned(), 3)];
        assert_eq!(late_calls(&macros, &body, &top), [(3, "a".to_owned(), "c".to_owned())]);
        assert!(late_calls(&macros, &body, &top[1..]).is_empty());
    }
}
