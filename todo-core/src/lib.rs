//! Multi-user accounts and per-user tasks for any Rust server: bcrypt passwords, HS256 JWTs, and task
//! repositories that can only touch the tasks of the user who proved who they are. Storage is SQLite (embedded
//! default) or PostgreSQL, chosen from the database URL. No web framework is involved; `todo-rocket` is one
//! adapter, and any other server needs only a few lines.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use todo_core::{Config, ListQuery, TaskInput, Todo};
//!
//! let config = Config::new("use at least 32 random bytes here!!")?
//!     .with_bcrypt_cost(4)? // fast for the example; keep the default 12 in production
//!     .with_database_url("sqlite::memory:");
//! let todo = Todo::connect(&config).await?; // connects and runs the migrations
//!
//! // Accounts: signup normalises the email; login starts a session and returns its access and refresh tokens.
//! let user = todo.accounts().signup("  Ann@Example.com ", "correct horse battery").await?;
//! assert_eq!(user.email.as_str(), "ann@example.com");
//! let login = todo.accounts().login("ann@example.com", "correct horse battery").await?;
//!
//! // On each request: verify the token to get the `Owner` that task operations need (`authenticate` also loads
//! // the user; `authorize` only checks the token, and each task statement then checks revocation itself).
//! let session = todo.accounts().authenticate(&login.token.access_token).await?;
//! let tasks = todo.tasks(&session.owner);
//! let task = tasks.create(TaskInput::new("  Buy milk ")).await?;
//! assert_eq!(task.title, "Buy milk");
//!
//! let page = tasks.list(&ListQuery::default()).await?;
//! assert_eq!(page.items, vec![task]);
//! assert_eq!(page.next_cursor, None);
//!
//! // Before the access token expires, the client trades its refresh token for new ones (it works once).
//! let renewed = todo.accounts().refresh(login.refresh_token.as_str()).await?;
//! assert_eq!(renewed.owner.session_id(), session.owner.session_id());
//! # Ok::<(), todo_core::Error>(())
//! # }).unwrap();
//! ```
//!
//! Errors are one enum, [`Error`], whose [`Error::kind`] an adapter maps to its protocol in one place.
#![deny(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(not(test), warn(clippy::unwrap_used))]

#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!("todo-core needs a database engine: enable the `sqlite` or the `postgres` cargo feature (or both)");

// The layers; a module uses only the layers above its own, and `module-cycles` (in CI) keeps it so:
//   leaves   error, clock, ids, email, secret, abuse, identity_providers, roles; config (which also names the configured `mail::Mailer`)
//   mail/    the Mailer seam, the mailers, the mails composed and on their way out (uses `email`, `error`, `ids`)
//   store/   Store, the pool, and Owner with the condition its statements carry
//   auth/    accounts, sessions, tokens, passwords, mail links  } siblings: neither uses the other; what they
//   tasks/   task types and rules, paging, the repository       } share of an owner lives in `store`
//   lists/   lists, members, invitations                         } (and of a membership: its SQL condition)

/// Leaf: the abuse limits' settings, and the client they count.
mod abuse;
/// Who is asking: accounts, sessions, access tokens, passwords, and the mail links of accounts.
mod auth;
/// Leaf: the current time at the databases' precision, and the Unix milliseconds SQL compares.
mod clock;
/// Leaf: [`Config`], the library's settings and their checks (it also names the configured [`mail::Mailer`]).
mod config;
/// Leaf: a checked email address in canonical form (one mailbox, one spelling).
mod email;
/// Leaf: the one error type, its kinds, and the refusals of tokens.
mod error;
/// Leaf: the identity providers' settings (OpenID Connect), from code or the environment.
mod identity_providers;
/// Leaf: the ids of users, sessions, tasks, factors and WebAuthn ceremonies, from one definition.
mod ids;
// The mail seam and its mailers: a room of its own, using only `email`, `error` and `ids`. (Public, so a `///` here
// would be merged into the module's own `//!`, which says the same.)
/// Lists and sharing: lists, members and their roles, invitations.
mod lists;
pub mod mail;
/// Leaf: a member's [`Role`] in a list.
mod roles;
/// Leaf: random secret tokens, and the hashes the database keeps of them.
mod secret;
/// The database: [`Store`], the pool, and [`Owner`] with the condition every statement on its behalf carries.
mod store;
/// One owner's tasks: the types, their rules, paging, and the repository.
mod tasks;

pub use abuse::{AbuseLimits, Client};
pub use auth::{
    check_identity_providers, AccessToken, Accounts, Assurance, Authenticated, Claims, Confirmed, Factor, FactorKind,
    Identity, IdentityProvider, Login, LogoutScope, Method, PasskeyOptions, Password, PasswordHash, PasswordHasher,
    ProviderCallback, ProviderSignIn, RefreshToken, Session, Swept, TokenKeys, TotpEnrolment, User, EXCHANGE_CODE_TTL,
    MAX_FACTORS, MAX_FACTOR_NAME_CHARS, MAX_PASSWORD_BYTES, MAX_USER_AGENT_CHARS, MFA_TOKEN_TTL, MIN_PASSWORD_CHARS,
    OIDC_FLOW_TTL, PASSKEY_CHALLENGE_TTL, PENDING_TOTP_TTL, RECOVERY_CODE_COUNT, REFRESH_TOKEN_BYTES, RESEND_INTERVAL,
};
pub use config::{
    Config, DEFAULT_APP_URL, DEFAULT_BCRYPT_COST, DEFAULT_CLEANUP_INTERVAL, DEFAULT_DATABASE_URL,
    DEFAULT_REFRESH_REUSE_INTERVAL, DEFAULT_REFRESH_TTL, DEFAULT_RESET_TTL, DEFAULT_SESSION_MAX_AGE,
    DEFAULT_SIGN_IN_LINK_TTL, DEFAULT_TTL, DEFAULT_VERIFICATION_TTL, MAX_REFRESH_REUSE_INTERVAL, MIN_SECRET_BYTES,
};
pub use email::{Email, MAX_EMAIL_CHARS};
pub use error::{Error, ErrorKind, FieldError, RefreshTokenError, Result, SecondStep, SecondStepMethod, TokenError};
pub use identity_providers::{ProviderSettings, DEFAULT_OIDC_SCOPES, MAX_PROVIDER_NAME_CHARS};
pub use ids::{ChallengeId, FactorId, IdentityId, InvitationId, ListId, SessionId, TaskId, UserId};
pub use lists::{CreatedList, Invitation, List, Lists, Member, INVITATION_TTL, MAX_LIST_NAME_CHARS};
pub use mail::OutgoingMail;
pub use roles::{Role, UnknownRole};
pub use store::{IdempotencyKey, Owner, Store, StoreOptions, IDEMPOTENCY_KEY_TTL, MAX_IDEMPOTENCY_KEY_CHARS};
pub use tasks::{
    Assignee, Created, ListQuery, Page, Sort, Task, TaskInput, TaskPatch, Tasks, DEFAULT_PAGE_SIZE,
    MAX_DESCRIPTION_CHARS, MAX_PAGE_SIZE, MAX_PRIORITY, MAX_QUERY_CHARS, MAX_TITLE_CHARS,
};

/// The library in one handle: the store, accounts and per-owner task repositories. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Todo {
    store: Store,
    accounts: Accounts,
    /// What [`Lists`] needs to mail invitations: links, the mailer, the inviters' budget.
    sharing: lists::Sharing,
}

impl Todo {
    /// Connects to the configured database, runs the migrations, and builds the keys and hasher.
    pub async fn connect(config: &Config) -> Result<Self> {
        let store = Store::connect(config.database_url()).await?;
        store.migrate().await?;
        Ok(Self::new(store, config))
    }

    /// Builds the library over a store you opened (and migrated) yourself.
    pub fn new(store: Store, config: &Config) -> Self {
        let accounts = Accounts::new(store.clone(), config);
        let sharing = lists::Sharing::new(&store, config);
        Self { store, accounts, sharing }
    }

    /// Signup, login, sessions and token checks.
    pub fn accounts(&self) -> &Accounts {
        &self.accounts
    }

    /// The tasks `owner` may reach: those of the lists they are a member of, as their role there allows.
    pub fn tasks(&self, owner: &Owner) -> Tasks {
        Tasks::new(self.store.clone(), owner)
    }

    /// The lists `owner` is a member of, their members and invitations.
    pub fn lists(&self, owner: &Owner) -> Lists {
        Lists::new(self.store.clone(), self.sharing.clone(), owner)
    }

    /// The underlying store (health checks, closing).
    pub fn store(&self) -> &Store {
        &self.store
    }
}
