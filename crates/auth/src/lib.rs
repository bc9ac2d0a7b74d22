//! Editors' accounts: who may do what ([`roles`]), and the rules for getting in: password
//! hashing and policy, sessions, API tokens, login limits, safe redirects after login, and
//! the audit log. Storage is the store's ([`dossier_store::accounts`]); the HTTP forms and
//! cookies are the server's; the command line's `dossier user` and `dossier token` call
//! the same service, so a rule holds whichever way an account is changed.

pub mod limits;
pub mod password;
pub mod redirect;
pub mod roles;
pub mod secret;
pub mod service;

pub use roles::{Right, Role, UnknownRole, RIGHTS};
pub use service::{Actor, Auth, AuthConfig, AuthError, Bearer, LoggedIn, Scope, Viewer};
