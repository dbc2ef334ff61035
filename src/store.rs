//! Persistence: the connections, the migrations of each engine, and every query. Every query that
//! touches account data takes the account it is scoped to; `None` means the admin's view.
//!
//! Where a change belongs:
//! - [`Store`] itself (opening, dispatch to an engine, transactions, retries): `handle`;
//!   which engine a URL names: `engine`; statements as they are assembled: `sql`.
//! - One resource each: `accounts` (and admin users), `tags`, `links` (one link), `lists`
//!   (filters, pages and counts of links), `taglinks`, `settings`, `sessions`, `tokens`;
//!   `search` turns `q` into each engine's conditions and ranking.
//! - Whole-account work: `bulk`, `transfer` (import/export), `dedupe`, `pages`, `seed`, `sync`.
//! - Derived texts (tag/email keys, URL hash, search text): `keys`; cached stamps: `stamps`.
//! - The engines: `sqlite/`, `postgres/`, `mysql/` (each a `Backend` and a `Driver`), over
//!   `conn` (the connection the operations run on); MySQL's and PostgreSQL's shared `Backend`
//!   in `native`, over `pool` (their connections).

mod accounts;
pub mod bulk;
mod conn;
pub mod dedupe;
mod engine;
mod handle;
mod keys;
mod links;
mod lists;
mod mysql;
mod native;
pub mod pages;
mod pool;
mod postgres;
mod search;
pub mod seed;
pub mod sessions;
mod settings;
mod sql;
mod sqlite;
mod stamps;
pub mod sync;
mod taglinks;
mod tags;
pub mod tokens;
pub mod transfer;

pub use accounts::account_not_found;
pub use engine::Engine;
pub(crate) use handle::pool_options;
pub use handle::{open_store, PoolSettings, Store};
pub use keys::{email_key, link_hash, search_text, tag_key};
pub use links::{LinkChanges, NewLink, TagRef};
pub use lists::{LinkFilter, Total, BROAD};
pub use search::search_grams;
pub(crate) use sql::can_be_key;
pub use sql::Sql;

// What the modules below share, each named once here.
use accounts::{new_stamp, ACCOUNT_COLUMNS};
use conn::{Conn, FromRow, Op};
use handle::{is_retryable, Backend};
use keys::like_escape;
use links::LINK_COLUMNS;
use lists::join;
use sql::Arg;
use tags::{tag_not_in_account, MAX_RETRIES, TAG_COLUMNS};
