"""moto's server (the pinned moto[server] in .venv-moto/), with the gaps of its change-set execution filled the way
CloudFormation behaves, so `tests/deploy.rs` exercises proton-synth's real code paths against a real API server.

Usage: .venv-moto/bin/python scripts/moto_server.py -H 127.0.0.1 -p PORT

What moto 5.2.5 does differently from CloudFormation after ExecuteChangeSet, and what this shim changes (each is
documented behaviour of CloudFormation, nothing proton-synth-specific):
1. The stack's Outputs stay empty (moto builds them only in CreateStack/UpdateStack): recompute them from the
   executed template, as CloudFormation does.
2. The stack's tags are not updated from the change set's Tags: apply them, as CloudFormation does.
3. A resource that fails to create makes ExecuteChangeSet itself return an error and leaves the stack half done:
   CloudFormation accepts the execution, records a CREATE_FAILED event with the reason and rolls the stack back
   (ROLLBACK_COMPLETE for a new stack, UPDATE_ROLLBACK_COMPLETE for an update). The shim does the same (it does not
   restore moto's resources of a rolled-back update).
4. Names moto generates for ECR repositories keep the stack name's capitals, which ECR's own name pattern then
   rejects: CloudFormation generates them in lower case, and so does the shim.
5. Resource types moto does not implement (e.g. AWS::CodeBuild::Project) are skipped silently, so a `Ref` or
   `Fn::GetAtt` of one fails the stack: the shim creates a stand-in for each (its Ref is a generated name, each
   attribute an ARN-like string), so templates that use such types deploy. Nothing is checked about them.
6. A TemplateURL on the emulator's own endpoint (path style, `http://127.0.0.1:PORT/BUCKET/KEY`, as S3 serves an
   object there) is read with the host name taken as the bucket unless the host is `localhost`: the shim reads it
   path style, as the object is served, for any host that is not AWS's.
What the shim leaves as moto does it (proton-synth copes): `Replacement` is never computed in change sets, few
stack events are emitted, no `Fn::Cidr`.
"""

import sys
from urllib.parse import urlparse

from moto import server
from moto.cloudformation import models, parsing
from moto.cloudformation import responses as cfn_responses
from moto.core.common_models import CloudFormationModel


class ResourceFailed(Exception):
    def __init__(self, logical_id, resource_type, reason):
        super().__init__(reason)
        self.logical_id = logical_id
        self.resource_type = resource_type
        self.reason = reason


class StandIn(CloudFormationModel):
    """A resource of a type moto does not implement: a name and attributes, nothing behind them."""

    # moto's model metaclass registers models by the service in their module path.
    __module__ = "moto.cloudformation.standin"

    def __init__(self, resource_type, name, account_id, region_name):
        self.resource_type = resource_type
        self.name = name
        self.account_id = account_id
        self.region_name = region_name

    @property
    def physical_resource_id(self):
        return self.name

    @staticmethod
    def cloudformation_type():
        return "?"

    @classmethod
    def has_cfn_attr(cls, attr):
        return True

    def get_cfn_attribute(self, attribute_name):
        service = self.resource_type.split("::")[1].lower()
        return f"arn:aws:{service}:{self.region_name}:{self.account_id}:{self.name}/{attribute_name}"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        return cls(kwargs["ResourceType"], resource_name, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name):
        pass


_class_from_type = parsing.resource_class_from_type


def resource_class_from_type(resource_type):
    found = _class_from_type(resource_type)
    if found is None and resource_type.startswith("AWS::") and resource_type not in parsing.NULL_MODELS:
        return StandIn
    return found


parsing.resource_class_from_type = resource_class_from_type

_generate_name = parsing.generate_resource_name


def generate_resource_name(resource_type, stack_name, logical_id):
    name = _generate_name(resource_type, stack_name, logical_id)
    return name.lower() if resource_type == "AWS::ECR::Repository" else name


parsing.generate_resource_name = generate_resource_name

_create = parsing.parse_and_create_resource


def parse_and_create_resource(logical_id, resource_json, resources_map, account_id, region_name):
    try:
        return _create(logical_id, resource_json, resources_map, account_id, region_name)
    except ResourceFailed:
        raise
    except Exception as e:  # noqa: BLE001 - every moto error becomes CloudFormation's CREATE_FAILED reason
        reason = getattr(e, "message", None) or str(e)
        raise ResourceFailed(logical_id, resource_json.get("Type", ""), reason) from e


parsing.parse_and_create_resource = parse_and_create_resource


def _resource_event(stack, failure, status):
    event = models.Event(
        stack_id=stack.stack_id,
        stack_name=stack.name,
        logical_resource_id=failure.logical_id,
        physical_resource_id="",
        resource_type=failure.resource_type,
        resource_status=status,
        resource_status_reason=failure.reason,
        resource_properties=None,
    )
    stack.events.append(event)


_execute = models.CloudFormationBackend.execute_change_set


def execute_change_set(self, change_set_name, stack_name=None):
    change_set = self.change_sets.get(change_set_name)
    if change_set is None:
        for cs in self.change_sets.values():
            if cs.change_set_name == change_set_name:
                change_set = cs
    try:
        _execute(self, change_set_name, stack_name)
    except ResourceFailed as failure:
        if change_set is None:
            raise
        stack = self.stacks[change_set.stack_id]
        create = change_set.change_set_type == "CREATE"
        _resource_event(stack, failure, "CREATE_FAILED")
        prefix = "ROLLBACK" if create else "UPDATE_ROLLBACK"
        reason = f"The following resource(s) failed to create: [{failure.logical_id}]. Rollback requested by user."
        stack._add_stack_event(f"{prefix}_IN_PROGRESS", resource_status_reason=reason)
        stack._add_stack_event(f"{prefix}_COMPLETE")
        stack.status = f"{prefix}_COMPLETE"
        change_set.execution_status = "EXECUTE_FAILED"
        return
    if change_set is None:
        return
    stack = self.stacks[change_set.stack_id]
    stack.template_dict = change_set.template_dict
    stack.output_map = stack._create_output_map()
    if change_set.tags:
        stack.tags = dict(change_set.tags)


models.CloudFormationBackend.execute_change_set = execute_change_set

_get_stack_from_s3_url = cfn_responses.get_stack_from_s3_url


def get_stack_from_s3_url(template_url, account_id, partition):
    parts = urlparse(template_url)
    host = parts.hostname or ""
    if not (host.endswith(".amazonaws.com") or host.endswith(".amazonaws.com.cn")):
        # moto's own path-style branch is taken for `localhost` URLs: give it one with the same path.
        template_url = f"http://localhost{parts.path}"
    return _get_stack_from_s3_url(template_url, account_id=account_id, partition=partition)


cfn_responses.get_stack_from_s3_url = get_stack_from_s3_url

if __name__ == "__main__":
    server.main(sys.argv[1:])
