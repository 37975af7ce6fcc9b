//! The accept loop: hyper's HTTP/1 connections driven by hand (`axum::serve` has no header
//! timeout and no connection limit), so that a client cannot hold the server by being slow.
//!
//! - Every connection must send its request head within [`Limits::header_timeout`] (the first
//!   one, and each next one on a kept-alive connection): hyper's `header_read_timeout`. A
//!   connection that does not is closed (hyper answers nothing: no 408).
//! - At most [`Limits::max_connections`] connections are open at once, websockets included
//!   (each one holds a permit for as long as its socket is open). At the limit, nothing more
//!   is accepted until one closes: new connections wait in the kernel's backlog and hold no
//!   file descriptor of ours. The limit is lowered to what the file descriptor limit allows
//!   (two a connection, one for the socket and one for a file being sent, and a reserve for
//!   the build).
//! - On stop, the listener closes, every connection finishes the request it is serving and
//!   closes, and the loop returns once all are gone.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

/// File descriptors kept for everything but connections: the build (mdBook, rayon writers),
/// the watcher, the runtime.
const FD_RESERVE: u64 = 128;

/// How long the loop waits after a failed accept (out of file descriptors, say) before the next.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// What one client may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The longest a connection may take to send a request's head.
    pub header_timeout: Duration,
    /// The most connections open at once.
    pub max_connections: usize,
}

impl Limits {
    /// `max_connections` lowered to what the process's file descriptor limit allows (but never
    /// below 8).
    pub fn within_fd_limit(self) -> Limits {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct owned by this frame.
        let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
        let allowed = if ok && limit.rlim_cur != libc::RLIM_INFINITY {
            usize::try_from(limit.rlim_cur.saturating_sub(FD_RESERVE) / 2).unwrap_or(usize::MAX)
        } else {
            usize::MAX
        };
        Limits {
            max_connections: self.max_connections.min(allowed.max(8)).max(1),
            ..self
        }
    }
}

/// A connection's socket, holding its place among the [`Limits::max_connections`] until it is
/// dropped (after an upgrade, with the websocket).
struct Counted {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Resolves once `stopping` is true (or its sender is gone).
async fn stopped(stopping: &mut watch::Receiver<bool>) {
    let _ = stopping.wait_for(|s| *s).await;
}

/// Serves `app` on `listener` until `stopping` turns true and every connection is closed.
pub(super) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut stopping: watch::Receiver<bool>,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = stopped(&mut stopping) => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // A connection reset before it was accepted is that client's business; a
                    // full fd table clears as connections close.
                    if !is_per_connection(&e) {
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                    continue;
                }
            },
            _ = stopped(&mut stopping) => break,
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(Counted {
            stream,
            _permit: permit,
        });
        let connection = http
            .serve_connection(io, TowerToHyperService::new(app.clone()))
            .with_upgrades();
        let mut stop = stopping.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => return,
                _ = stopped(&mut stop) => {}
            }
            connection.as_mut().graceful_shutdown();
            let _ = connection.await;
        });
    }
    drop(listener);
    // Every permit back: every connection, websockets included, is closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    Ok(())
}

/// Errors of one incoming connection, not of the listener.
fn is_per_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_connection_limit_fits_the_fd_limit() {
        let limits = Limits {
            header_timeout: Duration::from_secs(1),
            max_connections: usize::MAX,
        }
        .within_fd_limit();
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: as above.
        assert_eq!(
            unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
            0
        );
        if limit.rlim_cur != libc::RLIM_INFINITY {
            assert!(limits.max_connections as u64 * 2 <= limit.rlim_cur.max(16 + FD_RESERVE));
        }
        let small = Limits {
            header_timeout: Duration::from_secs(1),
            max_connections: 3,
        }
        .within_fd_limit();
        assert_eq!(small.max_connections, 3);
    }
}
