//! Who asks for a change, and what they mean it to become.

use dossier_auth::{Bearer, Right, Role, Scope, Viewer};
use dossier_store::accounts::UserId;
use dossier_store::{Author, Origin};

/// The person asking for a change, from a web session or an API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Who {
    pub user: UserId,
    /// The account's display name now; revisions keep it as it was.
    pub name: String,
    pub role: Role,
    /// [`Origin::Web`] or [`Origin::Api`].
    pub origin: Origin,
    /// Whether this person may change anything at all: a session may, an API token only
    /// with write scope (a read token sees what an anonymous reader sees).
    pub write: bool,
}

impl Who {
    /// The person behind a web session.
    pub fn web(v: &Viewer) -> Who {
        Who {
            user: v.user.id,
            name: v.user.name.clone(),
            role: v.role,
            origin: Origin::Web,
            write: true,
        }
    }

    /// The account behind an API token.
    pub fn api(b: &Bearer) -> Who {
        Who {
            user: b.user.id,
            name: b.user.name.clone(),
            role: b.role,
            origin: Origin::Api,
            write: b.scope == Scope::Write,
        }
    }

    /// How a revision names this person.
    pub fn author(&self) -> Author {
        Author {
            user: Some(self.user),
            name: self.name.clone(),
            origin: self.origin,
        }
    }

    /// Whether the role has `right` and, beyond reading published records, the
    /// session or token may write: the same rule as [`Bearer::can`].
    pub fn can(&self, right: Right) -> bool {
        self.role.can(right) && (right == Right::ReadPublished || self.write)
    }
}

impl From<&Viewer> for Who {
    fn from(v: &Viewer) -> Who {
        Who::web(v)
    }
}

impl From<&Bearer> for Who {
    fn from(b: &Bearer) -> Who {
        Who::api(b)
    }
}

/// What a change should become when saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Intent {
    /// A draft only its author (and editors) see.
    Draft,
    /// A draft sent to review.
    Review,
    /// Published at once.
    Publish,
}

impl Intent {
    /// What a save does when the person does not say: a reviewer's (or admin's) change
    /// is published at once, anyone else's is a draft.
    pub fn default_for(role: Role) -> Intent {
        if role.can(Right::Publish) {
            Intent::Publish
        } else {
            Intent::Draft
        }
    }

    /// The right this intent needs.
    pub fn right(self) -> Right {
        match self {
            Intent::Draft => Right::Draft,
            Intent::Review => Right::SendToReview,
            Intent::Publish => Right::Publish,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dossier_store::accounts::User;

    fn user(role: &str) -> User {
        User {
            id: 7,
            email: "jane@example.org".into(),
            name: "Jane Roe".into(),
            role: role.into(),
            password_hash: String::new(),
            disabled: false,
            created: 0,
            last_login: None,
            failed_logins: 0,
            locked_until: None,
        }
    }

    #[test]
    fn a_session_writes_and_a_read_token_does_not() {
        let v = Viewer {
            user: user("editor"),
            role: Role::Editor,
            csrf: "c".into(),
            session: "s".into(),
        };
        let w = Who::from(&v);
        assert_eq!((w.user, w.origin, w.write), (7, Origin::Web, true));
        assert!(w.can(Right::SendToReview));
        assert_eq!(w.author().name, "Jane Roe");

        let mut b = Bearer {
            user: user("reviewer"),
            role: Role::Reviewer,
            scope: Scope::Read,
            token: 1,
        };
        let r = Who::from(&b);
        assert_eq!(r.origin, Origin::Api);
        assert!(!r.write);
        assert!(!r.can(Right::Publish) && !r.can(Right::Draft));
        assert!(r.can(Right::ReadPublished));
        b.scope = Scope::Write;
        assert!(Who::api(&b).can(Right::Publish));
    }

    #[test]
    fn reviewers_publish_by_default_others_draft() {
        assert_eq!(Intent::default_for(Role::Contributor), Intent::Draft);
        assert_eq!(Intent::default_for(Role::Editor), Intent::Draft);
        assert_eq!(Intent::default_for(Role::Reviewer), Intent::Publish);
        assert_eq!(Intent::default_for(Role::Admin), Intent::Publish);
        assert_eq!(Intent::Review.right(), Right::SendToReview);
    }
}
