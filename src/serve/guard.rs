//! Who may talk to the server: the `Host` of every request, the `Origin` of every websocket
//! handshake. Used by [`server`](super::server) (HTTP, through one middleware) and
//! [`reload`](super::reload) (the websocket), which otherwise know nothing of each other.
//!
//! - `Host`: a server on a loopback address answers only to names of this machine, so that a
//!   page of another site cannot read the book through DNS rebinding (its name resolving to
//!   127.0.0.1). A request without `Host` (HTTP/1.0) is let through: no browser sends one.
//! - `Origin` (websocket only: browsers let any page open a websocket to any address, and the
//!   server is what must refuse): only the origins the book is served from. That is
//!   `http://NAME:PORT` with the bound port and, as NAME, `localhost`, `127.0.0.1`, `[::1]` (on
//!   an IPv6 address), a `*.localhost` name (browsers resolve those to loopback only, and the
//!   `Host` check serves the book to them), the address bound or the `--hostname` given; on an
//!   unspecified address (`0.0.0.0`, `::`), also the name the request's own `Host` gives
//!   (same-origin: a page of another site has another Origin than the Host it connects to).
//!   A handshake without `Origin` is let through: every browser sends one on a websocket
//!   handshake, so its absence means a program that is not a browser page, which could read
//!   the same over plain HTTP anyway. `Origin: null` (sandboxed frames, `file:` pages) is
//!   refused.

use std::net::{IpAddr, SocketAddr};

use axum::http::{HeaderMap, header};

/// The names and the port this server answers to.
#[derive(Debug, Clone)]
pub(crate) struct Access {
    /// Listening on a loopback address: refuse requests whose `Host` is not this machine.
    loopback_only: bool,
    /// Listening on `0.0.0.0` or `::`: the `Host` of a request is one of ours.
    unspecified: bool,
    /// The port bound.
    port: u16,
    /// Host names (lowercase, IPv6 in brackets) a page of the book may come from.
    names: Vec<String>,
}

impl Access {
    /// The access rules of a server bound to `addr`, asked for as `hostname`.
    pub(crate) fn new(hostname: &str, addr: SocketAddr) -> Access {
        let ip = addr.ip();
        let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        if ip.is_ipv6() {
            names.push("[::1]".to_string());
        }
        names.push(host_name(&ip));
        let hostname = hostname.trim_end_matches('.').to_ascii_lowercase();
        names.push(match hostname.parse::<IpAddr>() {
            Ok(ip) => host_name(&ip),
            Err(_) => hostname,
        });
        names.sort();
        names.dedup();
        Access {
            loopback_only: ip.is_loopback(),
            unspecified: ip.is_unspecified(),
            port: addr.port(),
            names,
        }
    }

    /// Whether a request with these headers may be answered (its `Host`).
    pub(crate) fn host_allowed(&self, headers: &HeaderMap) -> bool {
        !self.loopback_only || loopback_host(headers)
    }

    /// Whether a websocket handshake with these headers may be accepted (its `Origin`; the
    /// `Host` is checked by [`Access::host_allowed`] as for every request).
    pub(crate) fn origin_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(header::ORIGIN) else {
            return true;
        };
        let Some((name, port)) = origin.to_str().ok().and_then(parse_origin) else {
            return false;
        };
        if port != self.port {
            return false;
        }
        if self.names.contains(&name) || name.ends_with(".localhost") {
            return true;
        }
        // Bound to every address: the page came from the name it now connects to.
        self.unspecified
            && headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .and_then(|h| split_host(h).ok())
                .is_some_and(|(host, host_port)| {
                    host == name && host_port.unwrap_or(80) == self.port
                })
    }
}

/// An address as it appears in a URL's host: IPv6 in brackets.
fn host_name(ip: &IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// `http://NAME[:PORT]` as (lowercase NAME, IPv6 in brackets, PORT with 80 for none). Any
/// other scheme, a path, user info or `null` is None.
fn parse_origin(origin: &str) -> Option<(String, u16)> {
    let rest = origin.strip_prefix("http://")?;
    let (name, port) = split_host(rest).ok()?;
    Some((name, port.unwrap_or(80)))
}

/// Splits `NAME[:PORT]` (NAME may be `[v6]`) into the lowercase name, without a trailing dot,
/// and the port, if any. Err for anything else (a path, user info, a bad port).
fn split_host(host: &str) -> Result<(String, Option<u16>), ()> {
    if host.is_empty() || host.contains(['/', '@', '?', '#', ' ']) {
        return Err(());
    }
    let (name, port) = if host.starts_with('[') {
        let end = host.find(']').ok_or(())?;
        let (name, rest) = host.split_at(end + 1);
        match rest {
            "" => (name, None),
            r => (name, Some(r.strip_prefix(':').ok_or(())?)),
        }
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    let port = match port {
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().map_err(|_| ())?)
        }
        Some(_) => return Err(()),
        None => None,
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    // An IPv6 name in its canonical form, so that `[0:0::1]` is `[::1]`.
    let name = match name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .and_then(|n| n.parse::<std::net::Ipv6Addr>().ok())
    {
        Some(v6) => format!("[{v6}]"),
        None => name,
    };
    Ok((name, port))
}

/// True when the `Host` of a request names this machine (`localhost`, `*.localhost`,
/// `127.x.x.x`, `::1`), or there is none.
pub(super) fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST) else {
        return true;
    };
    let Some((name, _)) = host.to_str().ok().and_then(|h| split_host(h).ok()) else {
        return false;
    };
    let bare = name
        .strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .unwrap_or(&name);
    name == "localhost"
        || name.ends_with(".localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        h
    }

    #[test]
    fn only_loopback_names_reach_a_loopback_server() {
        let with = |host: &str| loopback_host(&headers(&[(header::HOST, host)]));
        for ok in [
            "localhost",
            "localhost:3000",
            "LocalHost.:3000",
            "127.0.0.1:1",
            "127.1.2.3",
            "[::1]:80",
            "[::1]",
            "book.localhost",
        ] {
            assert!(with(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:3000",
            "192.168.1.2",
            "localhost.evil.example",
            "localhost:3000/x",
            "user@localhost",
            "[::1",
            "localhost:x",
            "[::2]:80",
        ] {
            assert!(!with(bad), "{bad}");
        }
        assert!(loopback_host(&HeaderMap::new()));
    }

    #[test]
    fn a_websocket_is_accepted_only_from_the_book_s_origins() {
        let access = Access::new("127.0.0.1", "127.0.0.1:3000".parse().unwrap());
        let with = |origin: &str| access.origin_allowed(&headers(&[(header::ORIGIN, origin)]));
        for ok in [
            "http://127.0.0.1:3000",
            "http://localhost:3000",
            "http://LOCALHOST:3000",
            "http://book.localhost:3000",
        ] {
            assert!(with(ok), "{ok}");
        }
        for bad in [
            "http://evil.example",
            "http://evil.example:3000",
            "http://127.0.0.1:3001",
            "http://127.0.0.1",
            "https://127.0.0.1:3000",
            "http://127.0.0.1:3000/path",
            "http://user@127.0.0.1:3000",
            "null",
            "",
            "http://[::1]:3000",
            "http://localhost.evil.example:3000",
        ] {
            assert!(!with(bad), "{bad}");
        }
        assert!(access.origin_allowed(&HeaderMap::new()));

        let v6 = Access::new("::1", "[::1]:8080".parse().unwrap());
        let with = |origin: &str| v6.origin_allowed(&headers(&[(header::ORIGIN, origin)]));
        assert!(with("http://[::1]:8080"));
        assert!(with("http://[0:0::1]:8080"));
        assert!(with("http://localhost:8080"));
        assert!(!with("http://[::1]:80"));

        let named = Access::new("Book.Example", "192.168.1.5:3000".parse().unwrap());
        let with = |origin: &str| named.origin_allowed(&headers(&[(header::ORIGIN, origin)]));
        assert!(with("http://book.example:3000"));
        assert!(with("http://192.168.1.5:3000"));
        assert!(!with("http://evil.example:3000"));

        // Bound to every address: the Host it connects to is where the page came from.
        let any = Access::new("0.0.0.0", "0.0.0.0:3000".parse().unwrap());
        let shake = |origin: &str, host: &str| {
            any.origin_allowed(&headers(&[(header::ORIGIN, origin), (header::HOST, host)]))
        };
        assert!(shake("http://192.168.1.5:3000", "192.168.1.5:3000"));
        assert!(shake("http://localhost:3000", "192.168.1.5:3000"));
        assert!(!shake("http://evil.example:3000", "192.168.1.5:3000"));
        assert!(!shake("http://192.168.1.5:3000", "192.168.1.5:3001"));
    }
}
