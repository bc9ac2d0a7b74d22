//! Who may do what: the roles, the rights, and the one table that joins them. The admin
//! page `/admin/roles` and ARCHITECTURE.md show this table; every check in the code asks
//! [`Role::can`], never a role's name.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// A person's role. Anonymous visitors are readers; an account has one of the others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Anyone, without an account: published records only.
    Reader,
    /// Drafts new records and changes to records; sees their own drafts.
    Contributor,
    /// Edits any record and sends changes to review.
    Editor,
    /// Approves and publishes changes, reverts them.
    Reviewer,
    /// Manages accounts and roles, reads the audit log.
    Admin,
}

/// Something a role may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Right {
    /// Read published records (pages, search, feeds, OAI-PMH, the API).
    ReadPublished,
    /// Save a draft of a new record or of a change, and read one's own drafts.
    Draft,
    /// Change any record (as a draft) and read every draft.
    EditAny,
    /// Send a draft to review.
    SendToReview,
    /// Publish a draft, or return it with a comment.
    Publish,
    /// Revert a record to an earlier revision.
    Revert,
    /// Add accounts, change roles, disable accounts, reset passwords, see locked accounts.
    ManageUsers,
    /// Read the audit log.
    ReadAudit,
}

impl Role {
    /// Every role, least rights first.
    pub const ALL: [Role; 5] = [
        Role::Reader,
        Role::Contributor,
        Role::Editor,
        Role::Reviewer,
        Role::Admin,
    ];

    /// The roles an account can have (every role but reader, which is having none).
    pub const OF_ACCOUNTS: [Role; 4] =
        [Role::Contributor, Role::Editor, Role::Reviewer, Role::Admin];

    pub fn name(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Contributor => "contributor",
            Role::Editor => "editor",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }

    /// Whether this role has `right`, by [`RIGHTS`].
    pub fn can(self, right: Right) -> bool {
        RIGHTS
            .iter()
            .find(|(r, _)| *r == right)
            .is_some_and(|(_, roles)| roles.contains(&self))
    }

    /// This role's rights, in the table's order.
    pub fn rights(self) -> impl Iterator<Item = Right> {
        RIGHTS
            .iter()
            .filter(move |(_, roles)| roles.contains(&self))
            .map(|(right, _)| *right)
    }
}

impl Right {
    pub fn name(self) -> &'static str {
        match self {
            Right::ReadPublished => "read-published",
            Right::Draft => "draft",
            Right::EditAny => "edit-any",
            Right::SendToReview => "send-to-review",
            Right::Publish => "publish",
            Right::Revert => "revert",
            Right::ManageUsers => "manage-users",
            Right::ReadAudit => "read-audit",
        }
    }

    /// What the right allows, in words, for the admin page.
    pub fn describe(self) -> &'static str {
        match self {
            Right::ReadPublished => {
                "Read published records: pages, search, feeds, OAI-PMH, the API"
            }
            Right::Draft => "Save drafts of new records and of changes; read one's own drafts",
            Right::EditAny => "Change any record (as a draft) and read every draft",
            Right::SendToReview => "Send a draft to review",
            Right::Publish => "Publish a draft, or return it with a comment",
            Right::Revert => "Revert a record to an earlier revision",
            Right::ManageUsers => "Add accounts, change roles, disable accounts, reset passwords",
            Right::ReadAudit => "Read the audit log",
        }
    }
}

use Role::*;

/// The one table of rights: each right and the roles that have it.
pub const RIGHTS: &[(Right, &[Role])] = &[
    (
        Right::ReadPublished,
        &[Reader, Contributor, Editor, Reviewer, Admin],
    ),
    (Right::Draft, &[Contributor, Editor, Reviewer, Admin]),
    (Right::EditAny, &[Editor, Reviewer, Admin]),
    (Right::SendToReview, &[Editor, Reviewer, Admin]),
    (Right::Publish, &[Reviewer, Admin]),
    (Right::Revert, &[Reviewer, Admin]),
    (Right::ManageUsers, &[Admin]),
    (Right::ReadAudit, &[Admin]),
];

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A role name that is not one of [`Role::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a role; the roles are contributor, editor, reviewer and admin")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Role, UnknownRole> {
        Role::ALL
            .into_iter()
            .find(|r| r.name() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// [`RIGHTS`] as a Markdown table, one row per right and a column per role: what
/// ARCHITECTURE.md shows (a test fails when the two differ).
pub fn rights_markdown() -> String {
    let mut out = String::from("| right | what it allows |");
    for role in Role::ALL {
        out.push_str(&format!(" {role} |"));
    }
    out.push_str("\n| --- | --- |");
    for _ in Role::ALL {
        out.push_str(" :-: |");
    }
    out.push('\n');
    for (right, _) in RIGHTS {
        out.push_str(&format!("| `{}` | {} |", right.name(), right.describe()));
        for role in Role::ALL {
            out.push_str(if role.can(*right) { " ✓ |" } else { " |" });
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_right_is_in_the_table_once() {
        let all = [
            Right::ReadPublished,
            Right::Draft,
            Right::EditAny,
            Right::SendToReview,
            Right::Publish,
            Right::Revert,
            Right::ManageUsers,
            Right::ReadAudit,
        ];
        for right in all {
            assert_eq!(
                RIGHTS.iter().filter(|(r, _)| *r == right).count(),
                1,
                "{right:?}"
            );
        }
        assert_eq!(RIGHTS.len(), all.len());
    }

    #[test]
    fn the_issue_s_rights() {
        assert!(Reader.can(Right::ReadPublished));
        assert!(!Reader.can(Right::Draft));
        assert!(Contributor.can(Right::Draft));
        assert!(!Contributor.can(Right::Publish));
        assert!(!Contributor.can(Right::EditAny));
        assert!(Editor.can(Right::EditAny) && Editor.can(Right::SendToReview));
        assert!(!Editor.can(Right::Publish));
        assert!(Reviewer.can(Right::Publish) && Reviewer.can(Right::Revert));
        assert!(!Reviewer.can(Right::ManageUsers));
        assert!(Admin.can(Right::ManageUsers) && Admin.can(Right::ReadAudit));
    }

    #[test]
    fn role_names_round_trip_and_unknown_ones_are_refused() {
        for role in Role::ALL {
            assert_eq!(role.name().parse::<Role>(), Ok(role));
        }
        assert!("Admin".parse::<Role>().is_err());
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn architecture_md_shows_this_table() {
        const BEGIN: &str = "<!-- rights: generated from RIGHTS (crates/auth/src/roles.rs); a test fails if it differs -->\n";
        const END: &str = "<!-- end of rights -->";
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../ARCHITECTURE.md");
        let doc = std::fs::read_to_string(path).expect("ARCHITECTURE.md at the workspace root");
        let start = doc
            .find(BEGIN)
            .expect("ARCHITECTURE.md marks the rights table")
            + BEGIN.len();
        let len = doc[start..]
            .find(END)
            .expect("ARCHITECTURE.md ends the rights table");
        let expected = rights_markdown();
        assert!(
            doc[start..start + len] == expected,
            "ARCHITECTURE.md's rights table differs from RIGHTS; replace it with:\n{expected}"
        );
    }
}
