//! A task, the bodies that create or change one, and the rules their fields obey.

use time::OffsetDateTime;

use crate::error::{Error, FieldError, Result};
use crate::ids::{ListId, TaskId, UserId};

/// The most characters a title may have, as sent (surrounding whitespace included; it is trimmed afterwards).
pub const MAX_TITLE_CHARS: usize = 200;
/// The most characters a description may have.
pub const MAX_DESCRIPTION_CHARS: usize = 1000;
/// The highest priority (`0` none, `1` low, `2` medium, `3` high).
pub const MAX_PRIORITY: u8 = 3;

/// A task as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    /// The task's id.
    pub id: TaskId,
    /// The list it belongs to (an account's inbox unless it was put elsewhere).
    pub list_id: ListId,
    /// The title: at most 200 characters as given, not only whitespace; stored trimmed.
    pub title: String,
    /// An optional description of at most 1000 characters.
    pub description: Option<String>,
    /// Whether the task is done.
    pub completed: bool,
    /// When it is due, to the millisecond; `None` for no due date.
    pub due_at: Option<OffsetDateTime>,
    /// `0` (none) to [`MAX_PRIORITY`] (high).
    pub priority: u8,
    /// The member of its list it is assigned to, if any.
    pub assignee_id: Option<UserId>,
    /// Who created it; `None` once that account is deleted (the task stays in its list).
    pub created_by: Option<UserId>,
    /// Counts the task's changes (from 1): what an `ETag` carries and [`Tasks::if_version`](crate::Tasks::if_version)
    /// compares.
    pub version: i64,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// All fields of a task: the body of a create, or of a full replace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskInput {
    /// The title: at most 200 characters as given (surrounding whitespace counts), not only whitespace; it is
    /// stored trimmed.
    pub title: String,
    /// The description; `None` for no description.
    pub description: Option<String>,
    /// Whether the task is done.
    pub completed: bool,
    /// The list: on a create, `None` is the caller's inbox; on a replace, `None` keeps the task where it is, and
    /// another list moves it there (the editor role is needed in both lists).
    pub list_id: Option<ListId>,
    /// When it is due (kept to the millisecond); `None` for no due date.
    pub due_at: Option<OffsetDateTime>,
    /// `0` (none, the default) to [`MAX_PRIORITY`].
    pub priority: u8,
    /// A member of the task's list to assign it to.
    pub assignee_id: Option<UserId>,
}

impl TaskInput {
    /// A not-yet-completed task with this title and no description, for the inbox.
    pub fn new(title: impl Into<String>) -> Self {
        Self { title: title.into(), ..Self::default() }
    }
}

/// A partial update: fields that are `None` stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskPatch {
    /// A new title.
    pub title: Option<String>,
    /// `Some(None)` clears the description, `Some(Some(text))` sets it.
    pub description: Option<Option<String>>,
    /// A new completion state.
    pub completed: Option<bool>,
    /// Another list to move the task to (the editor role is needed in both lists; an assignee who is not a member
    /// there is cleared).
    pub list_id: Option<ListId>,
    /// `Some(None)` clears the due date, `Some(Some(at))` sets it.
    pub due_at: Option<Option<OffsetDateTime>>,
    /// A new priority.
    pub priority: Option<u8>,
    /// `Some(None)` unassigns, `Some(Some(user))` assigns to a member of the task's (new) list.
    pub assignee_id: Option<Option<UserId>>,
}

impl From<TaskInput> for TaskPatch {
    /// A replace is a patch of every field (an absent description, due date or assignee clears it).
    fn from(input: TaskInput) -> Self {
        TaskPatch {
            title: Some(input.title),
            description: Some(input.description),
            completed: Some(input.completed),
            list_id: input.list_id,
            due_at: Some(input.due_at),
            priority: Some(input.priority),
            assignee_id: Some(input.assignee_id),
        }
    }
}

/// Checks a priority.
fn check_priority(priority: u8, errors: &mut Vec<FieldError>) {
    if priority > MAX_PRIORITY {
        errors.push(FieldError::new("priority", format!("must be from 0 to {MAX_PRIORITY}")));
    }
}

pub(crate) type CheckedFields = (Option<String>, Option<Option<String>>);

/// PostgreSQL text cannot hold U+0000, so no backend accepts it: the same input gets the same answer on both.
const NO_NUL: &str = "must not contain U+0000 (the NUL character)";

/// Trims and checks the title and description that are present, and the priority when given, collecting every
/// broken rule.
pub(crate) fn check_fields(
    title: Option<String>,
    description: Option<Option<String>>,
    priority: Option<u8>,
) -> Result<CheckedFields> {
    let mut errors = Vec::new();
    // The length counts the title as sent, and "blank" is Unicode White_Space (what `trim` removes): exactly
    // what the OpenAPI document states with `maxLength` and its pattern, so both accept the same titles.
    if let Some(title) = &title {
        if title.chars().count() > MAX_TITLE_CHARS {
            errors.push(FieldError::new("title", format!("must be at most {MAX_TITLE_CHARS} characters")));
        } else if title.trim().is_empty() {
            errors.push(FieldError::new("title", "must not be empty"));
        } else if title.contains('\0') {
            errors.push(FieldError::new("title", NO_NUL));
        }
    }
    let title = title.map(|title| title.trim().to_owned());
    if let Some(Some(description)) = &description {
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            errors.push(FieldError::new("description", format!("must be at most {MAX_DESCRIPTION_CHARS} characters")));
        } else if description.contains('\0') {
            errors.push(FieldError::new("description", NO_NUL));
        }
    }
    if let Some(priority) = priority {
        check_priority(priority, &mut errors);
    }
    if errors.is_empty() {
        Ok((title, description))
    } else {
        Err(Error::Validation(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_200_characters_as_sent_is_the_limit() {
        let (title, _) = check_fields(Some(format!(" {} ", "é".repeat(198))), None, None).expect("valid");
        assert_eq!(title.expect("present").chars().count(), 198, "stored trimmed");
        assert!(check_fields(Some("é".repeat(200)), None, None).is_ok());
        for too_long in ["é".repeat(201), format!(" {} ", "é".repeat(199))] {
            let error = check_fields(Some(too_long), None, None).unwrap_err();
            assert_eq!(error.field_errors(), [FieldError::new("title", "must be at most 200 characters")]);
        }
    }

    #[test]
    fn a_blank_title_is_empty() {
        for blank in ["", "   ", "\t\n", "\u{b}", "\u{85}\u{a0}\u{3000}\u{2028}"] {
            let error = check_fields(Some(blank.into()), None, None).unwrap_err();
            assert_eq!(error.field_errors()[0].message, "must not be empty");
        }
        assert!(check_fields(Some("x".into()), None, None).is_ok());
    }

    #[test]
    fn nul_is_refused_in_titles_and_descriptions() {
        let error = check_fields(Some("a\u{0}b".into()), Some(Some("c\u{0}".into())), None).unwrap_err();
        assert_eq!(error.field_errors(), [FieldError::new("title", NO_NUL), FieldError::new("description", NO_NUL)]);
        assert!(
            check_fields(Some("a\u{1}b".into()), Some(Some("🦀 c".into())), None).is_ok(),
            "other characters are fine"
        );
    }

    #[test]
    fn descriptions_allow_1000_characters() {
        assert!(check_fields(None, Some(Some("é".repeat(1000))), None).is_ok());
        let error = check_fields(Some(String::new()), Some(Some("é".repeat(1001))), None).unwrap_err();
        let fields: Vec<_> = error.field_errors().iter().map(|e| e.field).collect();
        assert_eq!(fields, ["title", "description"]);
    }
}
