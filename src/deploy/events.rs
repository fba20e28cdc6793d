//! Stack events while a change set executes: which are new, how they print, which tell why a deploy failed,
//! and which stack statuses end a deploy.

use std::collections::HashSet;

use super::cfn_client::StackEvent;

/// Remembers the events already shown, so each poll prints only new ones, oldest first.
#[derive(Debug, Default)]
pub struct EventStream {
    seen: HashSet<String>,
}

impl EventStream {
    /// A stream that will not show `existing` (the events from before this deploy).
    pub fn after(existing: &[StackEvent]) -> EventStream {
        EventStream {
            seen: existing.iter().map(|e| e.id.clone()).collect(),
        }
    }

    /// The events of `newest_first` (as DescribeStackEvents returns them) not shown yet, oldest first.
    pub fn fresh(&mut self, newest_first: &[StackEvent]) -> Vec<StackEvent> {
        let mut fresh: Vec<StackEvent> = newest_first
            .iter()
            .filter(|e| self.seen.insert(e.id.clone()))
            .cloned()
            .collect();
        fresh.reverse();
        fresh
    }
}

/// One event as a progress line.
pub fn format_event(e: &StackEvent) -> String {
    let time = e.timestamp.get(11..19).unwrap_or(&e.timestamp);
    let mut line = format!("  {time}  {:<28} {:<44} {}", e.status, e.resource_type, e.logical_id);
    if let Some(reason) = e.reason.as_deref().filter(|r| !r.is_empty()) {
        line.push_str(&format!("  ({reason})"));
    }
    line
}

/// The events that explain a failure: every `*_FAILED` of a resource, with its reason.
pub fn failures(events: &[StackEvent]) -> Vec<&StackEvent> {
    events
        .iter()
        .filter(|e| e.status.ends_with("_FAILED") && e.resource_type != "AWS::CloudFormation::Stack")
        .collect()
}

/// Does this stack status end an execution?
pub fn is_final(status: &str) -> bool {
    !status.ends_with("_IN_PROGRESS")
}

/// Did the execution that ended in this status succeed?
pub fn is_success(status: &str) -> bool {
    matches!(status, "CREATE_COMPLETE" | "UPDATE_COMPLETE" | "IMPORT_COMPLETE")
}

/// How many resources of the stack reached a final state (for the progress count).
pub fn resources_done(events: &[StackEvent]) -> usize {
    let done: HashSet<&str> = events
        .iter()
        .filter(|e| e.resource_type != "AWS::CloudFormation::Stack" && is_final(&e.status))
        .map(|e| e.logical_id.as_str())
        .collect();
    done.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, logical: &str, kind: &str, status: &str, reason: Option<&str>) -> StackEvent {
        StackEvent {
            id: id.into(),
            timestamp: "2026-12-03T14:00:01Z".into(),
            logical_id: logical.into(),
            resource_type: kind.into(),
            status: status.into(),
            reason: reason.map(str::to_owned),
        }
    }

    #[test]
    fn only_new_events_are_shown_oldest_first() {
        let old = [event(
            "1",
            "S",
            "AWS::CloudFormation::Stack",
            "REVIEW_IN_PROGRESS",
            None,
        )];
        let mut stream = EventStream::after(&old);
        let newest_first = [
            event("3", "V", "AWS::EC2::VPC", "CREATE_FAILED", Some("boom")),
            event("2", "S", "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", None),
            old[0].clone(),
        ];
        let ids: Vec<String> = stream.fresh(&newest_first).into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["2", "3"]);
        assert!(stream.fresh(&newest_first).is_empty());
        let failed = failures(&newest_first);
        assert_eq!(failed.len(), 1);
        assert!(
            format_event(failed[0]).ends_with("V  (boom)"),
            "{}",
            format_event(failed[0])
        );
        assert!(format_event(failed[0]).starts_with("  14:00:01  CREATE_FAILED"));
        assert_eq!(resources_done(&newest_first), 1);
    }

    #[test]
    fn statuses() {
        assert!(!is_final("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"));
        assert!(is_final("ROLLBACK_COMPLETE") && !is_success("ROLLBACK_COMPLETE"));
        assert!(is_success("UPDATE_COMPLETE") && !is_success("UPDATE_ROLLBACK_COMPLETE"));
    }
}
