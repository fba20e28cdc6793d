#!/usr/bin/env python3
"""Security gate for CloudFormation templates: checkov + cfn-guard 3.1.1 with the AWS Control Tower proactive rules.

Called by scripts/security-check (which installs the tools); run it with the python of .venv-checkov (it needs
PyYAML, which checkov brings). Every finding of either tool fails the gate unless the flagged resource suppresses it
in its own `Metadata` with a written, non-empty reason.

Suppression format (per resource; construct authors emit exactly this)
------------------------------------------------------------------------
checkov (checkov itself honours this key; the finding then appears in checkov's `results.skipped_checks`):

    "Metadata": {
      "checkov": {
        "skip": [ {"id": "CKV_AWS_91", "comment": "access logs go to the central bucket of account X"} ]
      }
    }

    `id` is the checkov check id (CKV_AWS_nn, CKV2_AWS_nn); `comment` must be a non-empty string. checkov accepts a
    skip without a comment (it prints "No comment provided"): this gate does not.

cfn-guard / Control Tower (the rules do not read any key; this gate discounts the findings itself):

    "Metadata": {
      "guard": {
        "SuppressedRules": ["CT.ELASTICLOADBALANCING.PR.5"],
        "Reasons": {"CT.ELASTICLOADBALANCING.PR.5": "internal ALB, deletion handled by the stack"}
      }
    }

    Each SuppressedRules entry is the Control Tower control id as printed by this gate (`CT.<SERVICE>.PR.<n>`,
    the id in the rule's message and metadata JSON). The guard rule name (e.g. `elbv2_deletion_protection_enabled_check`,
    the name cfn-guard itself reports, also the convention of aws-guard-rules-registry) is accepted as an alias.
    `Reasons` maps the same string to a non-empty reason. An entry without a reason, or naming a rule that does not
    exist in the rule set, fails the gate.

A suppression that matches no finding is reported as a note ("unused suppression") and does not fail the gate.

Output
------
Per template:   `== TEMPLATE: ok|FAIL|ERROR: checkov: U unsuppressed, S suppressed; cfn-guard: U unsuppressed, S suppressed`
then one line per problem:
                `TEMPLATE: LOGICAL-ID: checkov CKV_AWS_nn: check name`
                `TEMPLATE: LOGICAL-ID: cfn-guard CT.SVC.PR.n: control title (guard_rule_name)`
                `TEMPLATE: LOGICAL-ID: checkov|cfn-guard SUPPRESSION RULE: <what is wrong with the suppression>`
                `TEMPLATE: -: ERROR: <template or tool could not be checked>`
Exit status: 0 when there is no unsuppressed finding, bad suppression or error; 1 otherwise; 2 on usage errors.

A cfn-guard finding is one (rule, resource) pair: the resource logical ids are taken from the `/Resources/<id>/...`
paths of the failing clauses in cfn-guard's structured JSON output, restricted to the rule's evaluated resource
types (rules/control-tower/metadata/<svc>/ct-*.metadata.json) when that leaves any.

Trap for emitters: several Control Tower rules only understand `{"Fn::GetAtt": ["Key", "Arn"]}` (list form). The
string form `"Key.Arn"` (what YAML `!GetAtt Key.Arn` gives) is reported as non-compliant (e.g. CT.CLOUDWATCH.PR.3).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

CHECKOV = "checkov"
GUARD = "cfn-guard"


# --------------------------------------------------------------------------------------------------------------------
# Template loading (JSON, or YAML with CloudFormation short-form tags)


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns any `!Tag value` into `{"Fn::Tag": value}` (`!Ref x` into `{"Ref": x}`)."""


def _construct_tag(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    name = "Ref" if tag_suffix == "Ref" else ("Condition" if tag_suffix == "Condition" else f"Fn::{tag_suffix}")
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


def load_template(path: Path):
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("{"):
        return json.loads(text)
    return yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


# --------------------------------------------------------------------------------------------------------------------
# Data


@dataclass
class Finding:
    tool: str
    logical_id: str
    rule: str  # checkov check id or Control Tower control id
    title: str


@dataclass
class Template:
    arg: str  # as given on the command line (used in output)
    path: Path  # absolute
    resources: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    # logical id -> {rule id -> reason}
    checkov_skips: dict[str, dict[str, str]] = field(default_factory=dict)
    guard_skips: dict[str, dict[str, str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)  # suppression problems, already formatted
    notes: list[str] = field(default_factory=list)

    @property
    def checkable(self) -> bool:
        return not self.errors


def _reason_ok(reason) -> bool:
    return isinstance(reason, str) and reason.strip() != ""


def read_suppressions(t: Template, guard_rules: "GuardRules") -> None:
    for lid, res in t.resources.items():
        meta = res.get("Metadata") if isinstance(res, dict) else None
        if not isinstance(meta, dict):
            continue
        ck = meta.get("checkov")
        if ck is not None:
            skips = ck.get("skip") if isinstance(ck, dict) else None
            if not isinstance(skips, list):
                t.problems.append(f"{t.arg}: {lid}: {CHECKOV} SUPPRESSION -: Metadata.checkov.skip must be a list")
                skips = []
            for entry in skips:
                cid = entry.get("id") if isinstance(entry, dict) else None
                if not isinstance(cid, str) or not cid:
                    t.problems.append(f"{t.arg}: {lid}: {CHECKOV} SUPPRESSION -: skip entry without an id: {entry!r}")
                    continue
                comment = entry.get("comment")
                if not _reason_ok(comment):
                    t.problems.append(f"{t.arg}: {lid}: {CHECKOV} SUPPRESSION {cid}: suppression without a reason (comment)")
                    continue
                t.checkov_skips.setdefault(lid, {})[cid] = comment.strip()
        gd = meta.get("guard")
        if gd is not None:
            rules = gd.get("SuppressedRules") if isinstance(gd, dict) else None
            reasons = (gd.get("Reasons") or {}) if isinstance(gd, dict) else {}
            if not isinstance(rules, list):
                t.problems.append(f"{t.arg}: {lid}: {GUARD} SUPPRESSION -: Metadata.guard.SuppressedRules must be a list")
                rules = []
            if not isinstance(reasons, dict):
                t.problems.append(f"{t.arg}: {lid}: {GUARD} SUPPRESSION -: Metadata.guard.Reasons must be a mapping")
                reasons = {}
            for name in rules:
                if not isinstance(name, str) or not name:
                    t.problems.append(f"{t.arg}: {lid}: {GUARD} SUPPRESSION -: bad SuppressedRules entry {name!r}")
                    continue
                if guard_rules.canonical(name) is None:
                    t.problems.append(f"{t.arg}: {lid}: {GUARD} SUPPRESSION {name}: no such Control Tower rule")
                    continue
                if not _reason_ok(reasons.get(name)):
                    t.problems.append(f"{t.arg}: {lid}: {GUARD} SUPPRESSION {name}: suppression without a reason (Reasons)")
                    continue
                t.guard_skips.setdefault(lid, {})[guard_rules.canonical(name)] = reasons[name].strip()
            for name in reasons:
                if name not in rules:
                    t.notes.append(f"{t.arg}: {lid}: {GUARD} note: Reasons.{name} has no SuppressedRules entry")


# --------------------------------------------------------------------------------------------------------------------
# Control Tower rule set


@dataclass
class GuardRule:
    control_id: str
    rule_name: str
    title: str
    resource_types: list[str]


class GuardRules:
    def __init__(self, rules_dir: Path):
        self.by_rule_name: dict[str, GuardRule] = {}
        self.by_control_id: dict[str, GuardRule] = {}
        meta_dir = rules_dir.parent / "metadata"
        for guard_file in sorted(rules_dir.rglob("*.guard")):
            text = guard_file.read_text(encoding="utf-8")
            name = re.search(r"^rule\s+(\w+)\s+when", text, re.M)
            ctid = re.search(r"\[(CT\.[A-Z0-9]+\.PR\.\d+)\]", text)
            if not name:
                continue
            control_id = ctid.group(1) if ctid else name.group(1)
            title, types = "", []
            meta_file = meta_dir / guard_file.parent.name / (guard_file.stem + ".metadata.json")
            if meta_file.is_file():
                meta = json.loads(meta_file.read_text(encoding="utf-8"))
                control_id = meta.get("Id", control_id)
                title = meta.get("DisplayName", "")
                types = meta.get("EvaluatedResourceTypes", [])
            rule = GuardRule(control_id, name.group(1), title, types)
            self.by_rule_name[rule.rule_name] = rule
            self.by_control_id[rule.control_id] = rule

    def canonical(self, name: str) -> str | None:
        if name in self.by_control_id:
            return name
        if name in self.by_rule_name:
            return self.by_rule_name[name].control_id
        return None


# --------------------------------------------------------------------------------------------------------------------
# Tool runs


def _by_path(templates: list[Template]) -> dict[str, Template]:
    index = {}
    for t in templates:
        index[str(t.path)] = t
        index[os.path.realpath(t.path)] = t
    return index


def start_checkov(checkov: str, templates: list[Template]) -> subprocess.Popen:
    cmd = [checkov, "--framework", "cloudformation", "-o", "json", "--skip-download"]
    for t in templates:
        cmd += ["-f", str(t.path)]
    env = dict(os.environ, CKV_SKIP_PACKAGE_UPDATE_CHECK="true", BC_SKIP_MAPPING="TRUE")
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finish_checkov(proc: subprocess.Popen, templates: list[Template], general: list[str]) -> None:
    out, err = proc.communicate()
    if proc.returncode not in (0, 1):
        general.append(f"checkov exited {proc.returncode}: {err.strip()[-2000:]}")
        return
    try:
        data = json.loads(out) if out.strip() else None
    except json.JSONDecodeError as exc:
        general.append(f"checkov printed no JSON ({exc}): {out[:500]!r} {err.strip()[-1000:]}")
        return
    # One framework -> an object; several -> a list of objects. An empty run prints an empty summary.
    reports = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    reports = [r for r in reports if isinstance(r, dict) and r.get("check_type", "cloudformation") == "cloudformation"]
    index = _by_path(templates)
    resource_count = 0
    for report in reports:
        summary = report.get("summary", {})
        resource_count += int(summary.get("resource_count", 0) or 0)
        results = report.get("results", {})
        for path in results.get("parsing_errors", []) or []:
            t = index.get(path) or index.get(os.path.realpath(path))
            if t:
                t.errors.append("checkov could not parse the template")
            else:
                general.append(f"checkov could not parse {path}")
        for check in results.get("failed_checks", []) or []:
            t = index.get(check.get("file_abs_path", "")) or index.get(os.path.realpath(check.get("file_abs_path", "")))
            if t is None:
                general.append(f"checkov reported an unknown file {check.get('file_abs_path')}")
                continue
            lid = check.get("resource", "?").split(".", 1)[-1]
            t.findings.append(Finding(CHECKOV, lid, check["check_id"], check.get("check_name", "")))
        for check in results.get("skipped_checks", []) or []:
            t = index.get(check.get("file_abs_path", "")) or index.get(os.path.realpath(check.get("file_abs_path", "")))
            if t is None:
                continue
            lid = check.get("resource", "?").split(".", 1)[-1]
            # Counted as suppressed only when the template carries a valid suppression (with a reason) for it;
            # a checkov skip without a comment therefore still fails the gate.
            t.findings.append(Finding(CHECKOV, lid, check["check_id"], check.get("check_name", "")))
    if resource_count == 0:
        general.append("checkov scanned 0 resources (templates not recognised as CloudFormation?)")


def start_guard(guard: str, rules_dir: Path, templates: list[Template]) -> subprocess.Popen:
    cmd = [guard, "validate", "-r", str(rules_dir), "-S", "none", "-o", "json", "--structured"]
    for t in templates:
        cmd += ["-d", str(t.path)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


_RESOURCE_PATH = re.compile(r"^/Resources/([^/]+)")


def _resource_ids(node, acc: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "path" and isinstance(value, str):
                m = _RESOURCE_PATH.match(value)
                if m:
                    acc.add(m.group(1))
            else:
                _resource_ids(value, acc)
    elif isinstance(node, list):
        for value in node:
            _resource_ids(value, acc)
    return acc


def finish_guard(proc, guard: str, rules_dir: Path, rules: GuardRules, templates: list[Template], general: list[str]):
    out, err = proc.communicate()
    if proc.returncode not in (0, 19):
        if len(templates) > 1:
            # One bad template (255) or similar fails the whole run: redo per template to attribute it.
            for t in templates:
                finish_guard(start_guard(guard, rules_dir, [t]), guard, rules_dir, rules, [t], general)
            return
        msg = {5: " (a rule could not be evaluated)", 255: " (could not read the template)"}.get(proc.returncode, "")
        templates[0].errors.append(f"cfn-guard exited {proc.returncode}{msg}: {' '.join(err.split())[-1000:]}")
        return
    try:
        data = json.loads(out)
    except json.JSONDecodeError as exc:
        general.append(f"cfn-guard printed no JSON ({exc}): {out[:500]!r}")
        return
    index = _by_path(templates)
    seen = set()
    for report in data if isinstance(data, list) else [data]:
        name = report.get("name", "")
        t = index.get(name) or index.get(os.path.realpath(name))
        if t is None:
            general.append(f"cfn-guard reported an unknown file {name}")
            continue
        seen.add(id(t))
        for item in report.get("not_compliant", []) or []:
            rule_node = item.get("Rule") if isinstance(item, dict) else None
            if rule_node is None:
                t.errors.append(f"cfn-guard: unexpected result entry {json.dumps(item)[:200]}")
                continue
            rule_name = rule_node.get("name", "?")
            rule = rules.by_rule_name.get(rule_name) or GuardRule(rule_name, rule_name, "", [])
            ids = _resource_ids(rule_node, set())
            typed = {i for i in ids if t.resources.get(i, {}).get("Type") in rule.resource_types}
            if typed:
                ids = typed
            if not ids:
                ids = {i for i, r in t.resources.items() if r.get("Type") in rule.resource_types} or {"-"}
            title = f"{rule.title} ({rule.rule_name})" if rule.title else rule.rule_name
            for lid in sorted(ids):
                t.findings.append(Finding(GUARD, lid, rule.control_id, title))
    for t in templates:
        if id(t) not in seen:
            t.errors.append("cfn-guard did not report on this template")


# --------------------------------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--checkov", required=True)
    ap.add_argument("--guard", required=True)
    ap.add_argument("--rules", required=True, type=Path, help="rules/control-tower/cfn-guard directory")
    ap.add_argument("templates", nargs="+")
    args = ap.parse_args(argv)

    rules = GuardRules(args.rules)
    if not rules.by_rule_name:
        print(f"no cfn-guard rules found under {args.rules}", file=sys.stderr)
        return 1

    templates: list[Template] = []
    seen_paths = set()
    for arg in args.templates:
        path = Path(arg).absolute()
        if str(path) in seen_paths:
            continue
        seen_paths.add(str(path))
        t = Template(arg, path)
        templates.append(t)
        try:
            doc = load_template(path)
        except (OSError, ValueError, yaml.YAMLError) as exc:
            t.errors.append(f"cannot read template: {' '.join(str(exc).split())[:300] or type(exc).__name__}")
            continue
        res = doc.get("Resources") if isinstance(doc, dict) else None
        if not isinstance(res, dict) or not res:
            t.errors.append("not a CloudFormation template (no Resources mapping)")
            continue
        t.resources = {k: v for k, v in res.items() if isinstance(v, dict)}
        read_suppressions(t, rules)

    general: list[str] = []
    todo = [t for t in templates if t.checkable]
    if todo:
        ck = start_checkov(args.checkov, todo)
        gd = start_guard(args.guard, args.rules, todo)
        finish_guard(gd, args.guard, args.rules, rules, todo, general)
        finish_checkov(ck, todo, general)

    failed = bool(general)
    totals = {CHECKOV: [0, 0], GUARD: [0, 0]}
    for t in templates:
        lines: list[str] = []
        counts = {CHECKOV: [0, 0], GUARD: [0, 0]}  # unsuppressed, suppressed
        used = set()
        for f in sorted(t.findings, key=lambda f: (f.logical_id, f.tool, f.rule)):
            skips = t.checkov_skips if f.tool == CHECKOV else t.guard_skips
            if f.rule in skips.get(f.logical_id, {}):
                counts[f.tool][1] += 1
                used.add((f.tool, f.logical_id, f.rule))
            else:
                counts[f.tool][0] += 1
                lines.append(f"{t.arg}: {f.logical_id}: {f.tool} {f.rule}: {f.title}")
        for tool, skips in ((CHECKOV, t.checkov_skips), (GUARD, t.guard_skips)):
            for lid, rule_ids in skips.items():
                for rid in rule_ids:
                    if (tool, lid, rid) not in used and t.checkable:
                        t.notes.append(f"{t.arg}: {lid}: {tool} note: unused suppression {rid}")
        for tool in totals:
            totals[tool][0] += counts[tool][0]
            totals[tool][1] += counts[tool][1]
        status = "ERROR" if t.errors else ("FAIL" if lines or t.problems else "ok")
        print(
            f"== {t.arg}: {status}: {CHECKOV}: {counts[CHECKOV][0]} unsuppressed, {counts[CHECKOV][1]} suppressed; "
            f"{GUARD}: {counts[GUARD][0]} unsuppressed, {counts[GUARD][1]} suppressed"
        )
        for e in t.errors:
            print(f"{t.arg}: -: ERROR: {e}")
        for line in lines + t.problems + t.notes:
            print(line)
        if t.errors or lines or t.problems:
            failed = True
    for g in general:
        print(f"ERROR: {g}")
    print(
        f"== security-check: {len(templates)} template(s); {CHECKOV}: {totals[CHECKOV][0]} unsuppressed, "
        f"{totals[CHECKOV][1]} suppressed; {GUARD}: {totals[GUARD][0]} unsuppressed, {totals[GUARD][1]} suppressed: "
        + ("FAILED" if failed else "passed")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
