#!/usr/bin/env python3
"""Render a Proton template bundle with Python's Jinja2, the engine AWS Proton ran.

This is the reference for `proton-synth render` (src/engine/): the Rust renderer must produce the same
bytes. It renders with Jinja2 defaults plus StrictUndefined and keep_trailing_newline=True, Jinja2's own
`truncate` and `tojson`, and Proton's four `proton_cfn_*` filters implemented exactly as in
src/engine/filters.rs (including the block re-indentation markers). It reads the same spec and context
files (format: src/engine/context.rs) and merges schema defaults the same way. It does no validation: feed
it inputs that `proton-synth render` accepts.

Usage:
    python3 -m venv /tmp/jinja2-venv && /tmp/jinja2-venv/bin/pip install jinja2 pyyaml
    /tmp/jinja2-venv/bin/python scripts/jinja2_reference.py BUNDLE SPEC CONTEXT OUTDIR

Regenerate the committed fixtures:
    S=tests/fixtures/aws-samples/loadbalanced-fargate-svc F=tests/fixtures/local
    PY=/tmp/jinja2-venv/bin/python
    $PY scripts/jinja2_reference.py $S/environment $S/specs/env-spec.yaml $F/sample-context.yaml $F/expected/samples
    $PY scripts/jinja2_reference.py $S/service $S/specs/svc-spec.yaml $F/sample-context.yaml $F/expected/samples
    $PY scripts/jinja2_reference.py $F/features/service $F/features/spec.yaml $F/features/context.yaml $F/expected/features
"""

import json
import os
import re
import sys

import jinja2
import yaml

START_MARK = "\ue000"
LINE_MARK = "\ue001"
SAFE = re.compile(r"^[a-zA-Z0-9_-]*$")
ARN = re.compile(r"""^arn:[A-Za-z0-9-]+:[A-Za-z0-9-]+:[a-z0-9-]*:([0-9]{12}|aws)?:[^\s'"]+$""")
IAM_POLICY_ARN = re.compile(r"^arn:[a-zA-Z-]+:iam::\d{12}:policy/")


# --- Proton's filters (same decisions as src/engine/filters.rs) -------------------------------------------

def illegal(value, arn_ok):
    tail = " or be a valid ARN" if arn_ok else ""
    return ValueError(f'Illegal character(s) detected in "{value}". Must match regex ^[a-zA-Z0-9_-]*${tail}')


def proton_cfn_sanitize(value):
    s = str(value)
    if SAFE.match(s) or ARN.match(s):
        return s
    raise illegal(s, True)


def block(lines):
    if not lines:
        return ""
    return START_MARK + ("\n" + LINE_MARK).join(lines)


def entries(value):
    if not isinstance(value, dict):
        raise TypeError("expects a map of outputs")
    return [(str(k), str(v)) for k, v in value.items()]


def check_raw(raw, values):
    for _, v in values:
        if not raw and not SAFE.match(v):
            raise illegal(v, False)


def ecs_env_vars(value, raw=True):
    values = entries(value)
    check_raw(raw, values)
    lines = []
    for k, v in values:
        lines += [f"- Name: {k}", f"  Value: {v}"]
    return block(lines)


def lambda_env_vars(value, raw=True):
    values = entries(value)
    check_raw(raw, values)
    return block([f"{k}: {v}" for k, v in values])


def iam_policy_arns(value):
    return block([f"- {v}" for _, v in entries(value) if IAM_POLICY_ARN.match(v)])


def finish_output(rendered):
    out, column, indent = [], 0, 0
    for c in rendered:
        if c == START_MARK:
            indent = column
        elif c == LINE_MARK:
            out.append(" " * indent)
            column += indent
        elif c == "\n":
            out.append(c)
            column = 0
        else:
            out.append(c)
            column += 1
    return "".join(out)


class NoComponent(dict):
    """`service_instance.components.default` with nothing attached: `{}` whose `.outputs` is `{}`."""

    def __missing__(self, key):
        if key == "outputs":
            return {}
        raise KeyError(key)


# --- Inputs: bundle, spec, context ---------------------------------------------------------------------------

def bundle_root(path):
    if os.path.isdir(os.path.join(path, "schema")):
        return path
    subdirs = [d for d in os.listdir(path) if os.path.isdir(os.path.join(path, d))]
    if len(subdirs) == 1:
        return os.path.join(path, subdirs[0])
    return path


def load_yaml(path):
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def manifest_file(root, folder):
    manifest = load_yaml(os.path.join(root, folder, "manifest.yaml"))
    name = manifest["infrastructure"]["templates"][0]["file"]
    return os.path.join(root, folder, name), name


def merged(schema, type_name, values):
    out = dict(values or {})
    for name, prop in schema["schema"]["types"][type_name].get("properties", {}).items():
        if name not in out and "default" in prop:
            out[name] = prop["default"]
    return out


def scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def parse_outputs(data):
    if isinstance(data, dict) and "Stacks" in data:
        (stack,) = data["Stacks"]
        data = stack.get("Outputs", [])
    elif isinstance(data, dict) and list(data) == ["Outputs"]:
        data = data["Outputs"]
    if isinstance(data, list):
        return {o["OutputKey"]: scalar(o["OutputValue"]) for o in data}
    return {str(k): scalar(v) for k, v in (data or {}).items()}


def outputs_of(node, base):
    if "outputs" in node:
        return parse_outputs(node["outputs"])
    if "outputs_file" in node:
        return parse_outputs(load_yaml(os.path.join(base, node["outputs_file"])))
    return None


def load_context(path):
    ctx = load_yaml(path) or {}
    base = os.path.dirname(path)
    envs = {}
    for name, e in (ctx.get("environments") or {}).items():
        e = e or {}
        envs[name] = {"account_id": e.get("account_id"), "outputs": outputs_of(e, base)}
    instances = {}
    for name, i in (ctx.get("instances") or {}).items():
        i = i or {}
        comp = i.get("component")
        if comp is not None:
            comp = {"name": comp.get("name"), "outputs": outputs_of(comp, base) or {}}
        instances[name] = {"outputs": outputs_of(i, base), "component": comp}
    return {
        "environment_name": (ctx.get("environment") or {}).get("name"),
        "service": ctx.get("service") or {},
        "account_id": ctx.get("account_id"),
        "environments": envs,
        "instances": instances,
    }


def pairs(items):
    """A dict of the items whose value is not None, in order."""
    return {k: v for k, v in items if v is not None}


def environment_of(ctx, env):
    info = ctx["environments"].get(env, {})
    account = info.get("account_id") or ctx["account_id"]
    return pairs([("name", env), ("account_id", account), ("outputs", info.get("outputs") or {})])


# --- Rendering ----------------------------------------------------------------------------------------------

def jinja_env():
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    env.filters["proton_cfn_sanitize"] = proton_cfn_sanitize
    env.filters["proton_cfn_ecs_task_definition_formatted_env_vars"] = ecs_env_vars
    env.filters["proton_cfn_lambda_function_formatted_env_vars"] = lambda_env_vars
    env.filters["proton_cfn_iam_policy_arns"] = iam_policy_arns
    return env


def render(path, context):
    with open(path, encoding="utf-8") as f:
        source = f.read()
    return finish_output(jinja_env().from_string(source).render(context))


def write(outdir, name, text):
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, name), "w", encoding="utf-8", newline="") as f:
        f.write(text)
    print(os.path.join(outdir, name))


def ext(name):
    return "json" if name.lower().endswith(".json") else "yaml"


def main(bundle, spec_path, context_path, outdir):
    root = bundle_root(bundle)
    schema = load_yaml(os.path.join(root, "schema", "schema.yaml"))
    spec = load_yaml(spec_path)
    ctx = load_context(context_path)
    s = schema["schema"]
    if "environment_input_type" in s:
        inputs = merged(schema, s["environment_input_type"], spec.get("spec"))
        path, name = manifest_file(root, "infrastructure")
        env = pairs([("name", ctx["environment_name"]), ("inputs", inputs)])
        write(outdir, f"environment.{ext(name)}", render(path, {"environment": env}))
        return
    svc = ctx["service"]
    instances = []
    for inst in spec["instances"]:
        inputs = merged(schema, s["service_input_type"], inst.get("spec"))
        instances.append((inst["name"], inst["environment"], inputs))
    path, name = manifest_file(root, "instance_infrastructure")
    for iname, env, inputs in instances:
        info = ctx["instances"].get(iname) or {}
        comp = info.get("component")
        component = NoComponent() if comp is None else pairs([("name", comp["name"]), ("outputs", comp["outputs"])])
        context = {
            "environment": environment_of(ctx, env),
            "service": pairs([("name", svc.get("name"))]),
            "service_instance": {"name": iname, "inputs": inputs, "components": {"default": component}},
        }
        write(outdir, f"instance-{iname}.{ext(name)}", render(path, context))
    if "pipeline_input_type" in s:
        path, name = manifest_file(root, "pipeline_infrastructure")
        items = []
        for iname, env, inputs in instances:
            info = ctx["instances"].get(iname) or {}
            items.append({
                "name": iname,
                "inputs": inputs,
                "outputs": info.get("outputs") or {},
                "environment": environment_of(ctx, env),
            })
        context = {
            "service": pairs([(k, svc.get(k)) for k in ("name", "branch_name", "repository_id", "repository_connection_arn")]),
            "pipeline": {"inputs": merged(schema, s["pipeline_input_type"], spec.get("pipeline"))},
            "service_instances": items,
        }
        write(outdir, f"pipeline.{ext(name)}", render(path, context))


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
