#!/usr/bin/env bash
# Tests for scripts/security-check (checkov + cfn-guard/Control Tower gate). Run from anywhere:
#   tests/security/run.sh
# Cases: an insecure template fails with its findings listed; the same templates with suppressions carrying a
# written reason pass (and checkov reports its skips as suppressed); a suppression without a reason fails; an
# unreadable template fails.
set -uo pipefail
cd "$(dirname "$0")/../.."
fx=tests/security/fixtures
passed=0
failed=0
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

# run NAME EXPECTED_EXIT FILE... ; then expect LINE... checks that each LINE appears verbatim in the output
run() {
  local name="$1" want="$2"
  shift 2
  scripts/security-check "$@" >"$out" 2>&1
  local rc=$?
  current="$name"
  ok=1
  if [ "$rc" -ne "$want" ]; then
    echo "FAIL $name: exit $rc, expected $want"
    ok=0
  fi
}
expect() {
  local line
  for line in "$@"; do
    if ! grep -qxF -- "$line" "$out"; then
      echo "FAIL $current: missing line: $line"
      ok=0
    fi
  done
}
expect_match() {  # some line must match the extended regex
  if ! grep -qE -- "$1" "$out"; then
    echo "FAIL $current: no line matching $1"
    ok=0
  fi
}
reject() {  # no line may match the extended regex
  if grep -qE -- "$1" "$out"; then
    echo "FAIL $current: unexpected line matching $1:"
    grep -E -- "$1" "$out" | sed 's/^/    /'
    ok=0
  fi
}
done_case() {
  if [ "$ok" -eq 1 ]; then
    echo "ok   $current"
    passed=$((passed + 1))
  else
    sed 's/^/    | /' "$out"
    failed=$((failed + 1))
  fi
}

run "insecure templates fail" 1 "$fx/insecure.yaml" "$fx/insecure.json"
expect \
  "$fx/insecure.yaml: AppLogs: checkov CKV_AWS_158: Ensure that CloudWatch Log Group is encrypted by KMS" \
  "$fx/insecure.yaml: AppLogs: cfn-guard CT.CLOUDWATCH.PR.3: Require an Amazon CloudWatch log group to be encrypted at rest with an AWS KMS key (cloudwatch_log_group_encrypted_check)" \
  "$fx/insecure.yaml: PublicSubnet: cfn-guard CT.EC2.PR.11: Require that an Amazon EC2 subnet does not automatically assign public IP addresses (subnet_auto_assign_public_ip_disabled_check)" \
  "$fx/insecure.json: AdminSecurityGroup: checkov CKV_AWS_24: Ensure no security groups allow ingress from 0.0.0.0:0 to port 22" \
  "$fx/insecure.json: AdminSecurityGroup: cfn-guard CT.EC2.PR.4: Require that any Amazon EC2 security group rule does not use the source IP range 0.0.0.0/0 or ::/0 for specific high-risk ports (vpc_sg_restricted_common_ports_check)" \
  "== $fx/insecure.yaml: FAIL: checkov: 1 unsuppressed, 0 suppressed; cfn-guard: 3 unsuppressed, 0 suppressed" \
  "== $fx/insecure.json: FAIL: checkov: 2 unsuppressed, 0 suppressed; cfn-guard: 2 unsuppressed, 0 suppressed"
reject ": Vpc: "   # the VPC itself is clean: findings must be mapped to the flagged resource only
done_case

run "suppressed with reasons pass" 0 "$fx/suppressed.yaml" "$fx/suppressed.json"
expect \
  "== $fx/suppressed.yaml: ok: checkov: 0 unsuppressed, 1 suppressed; cfn-guard: 0 unsuppressed, 3 suppressed" \
  "== $fx/suppressed.json: ok: checkov: 0 unsuppressed, 2 suppressed; cfn-guard: 0 unsuppressed, 2 suppressed"
reject "SUPPRESSION|ERROR|unused suppression"
done_case

run "suppression without reason fails" 1 "$fx/no-reason-guard.yaml" "$fx/no-reason-checkov.json"
expect \
  "$fx/no-reason-guard.yaml: PublicSubnet: cfn-guard SUPPRESSION CT.EC2.PR.11: suppression without a reason (Reasons)" \
  "$fx/no-reason-guard.yaml: PublicSubnet: cfn-guard CT.EC2.PR.11: Require that an Amazon EC2 subnet does not automatically assign public IP addresses (subnet_auto_assign_public_ip_disabled_check)" \
  "$fx/no-reason-checkov.json: AdminSecurityGroup: checkov SUPPRESSION CKV_AWS_24: suppression without a reason (comment)" \
  "$fx/no-reason-checkov.json: AdminSecurityGroup: checkov CKV_AWS_24: Ensure no security groups allow ingress from 0.0.0.0:0 to port 22"
done_case

run "unreadable template fails" 1 "$fx/unparsable.yaml" "$fx/suppressed.json"
expect "== $fx/suppressed.json: ok: checkov: 0 unsuppressed, 2 suppressed; cfn-guard: 0 unsuppressed, 2 suppressed"
expect_match "^$fx/unparsable.yaml: -: ERROR: cannot read template: "
done_case

echo "security-check tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
