//! MySQL's and PostgreSQL's shared [`Backend`]: a [`Pool`] of the engine's native sqlx
//! connections. Each engine says only how its connection becomes a [`Conn`] and how it
//! creates a link in one round trip ([`Native`]).

use std::future::Future;

use super::pool::{in_transaction, release_after, Pool};
use super::{Backend, Conn, NewLink, Op};
use crate::error::ApiResult;
use crate::model::Link;

/// A native connection of an engine that runs on [`Pool`].
pub(super) trait Native: sqlx::Connection + 'static {
    /// The connection as the store's operations run on it.
    fn as_conn(&mut self) -> Conn<'_>;

    /// See [`Backend::create_link_at_once`].
    fn create_link_at_once(
        &mut self,
        new: &NewLink,
    ) -> impl Future<Output = ApiResult<Option<Link>>> + Send;
}

impl<C: Native> Backend for Pool<C> {
    async fn read<A, T>(&self, args: A, op: Op<A, T>) -> ApiResult<T>
    where
        A: Send + 'static,
        T: Send + 'static,
    {
        let mut conn = self.acquire().await?;
        let result = op(conn.as_conn(), args).await;
        release_after(conn, &result);
        result
    }

    async fn write_once<A, T>(&self, args: A, op: Op<A, T>) -> ApiResult<T>
    where
        A: Send + 'static,
        T: Send + 'static,
    {
        let conn = self.acquire().await?;
        in_transaction(conn, move |tx| op(tx.as_conn(), args)).await
    }

    async fn close(&self) {
        Pool::close(self).await
    }

    async fn create_link_at_once(&self, new: &NewLink) -> ApiResult<Option<Link>> {
        if !self.creates_links_at_once() {
            return Ok(None);
        }
        let mut conn = self.acquire().await?;
        let result = conn.create_link_at_once(new).await;
        release_after(conn, &result);
        result
    }
}
