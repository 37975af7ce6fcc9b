//! HTTP: the files of the generation being served, with the live-reload script injected into
//! every HTML page; a "building" page before the first build, an error page when it failed.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use axum::routing::get;
use percent_encoding::percent_decode_str;

use super::Shared;
use super::reload::{self, WS_PATH, escape_html};

/// The router: the websocket, and every other path mapped to the book.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(WS_PATH, get(reload::ws_handler))
        .fallback(serve_book)
        .with_state(shared)
}

/// Why a request path maps to no file.
#[derive(Debug, PartialEq, Eq)]
pub enum PathError {
    /// Not valid percent-encoded UTF-8.
    BadEncoding,
    /// It leaves the served folder (`..`, an absolute or drive path, a backslash, NUL).
    Traversal,
}

/// Maps a request path (`/a/b%20c.html`) to a path relative to the book: percent-decoded first,
/// then checked segment by segment, so that `%2e%2e` and `..%2f` are refused like `..`.
pub fn relative_path(uri_path: &str) -> Result<PathBuf, PathError> {
    let decoded = percent_decode_str(uri_path)
        .decode_utf8()
        .map_err(|_| PathError::BadEncoding)?;
    let mut rel = PathBuf::new();
    for segment in decoded.split('/') {
        match segment {
            "" | "." => continue,
            ".." => return Err(PathError::Traversal),
            s if s.contains(['\\', '\0']) => return Err(PathError::Traversal),
            s => {
                let mut components = Path::new(s).components();
                match (components.next(), components.next()) {
                    (Some(Component::Normal(_)), None) => rel.push(s),
                    _ => return Err(PathError::Traversal),
                }
            }
        }
    }
    Ok(rel)
}

/// True when the `Host` of a request names this machine (`localhost`, `*.localhost`,
/// `127.x.x.x`, `::1`), or there is none. A loopback server refuses other names: through DNS
/// rebinding, a page from another site could otherwise read the book.
pub fn loopback_host(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST) else {
        return true;
    };
    let Ok(host) = host.to_str() else {
        return false;
    };
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        }
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Serves one request from the current generation.
async fn serve_book(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if shared.loopback_only && !loopback_host(&headers) {
        return plain(
            StatusCode::FORBIDDEN,
            "this server answers to localhost only",
        );
    }
    if method != Method::GET && method != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD");
    }
    let head = method == Method::HEAD;
    let rel = match relative_path(uri.path()) {
        Ok(rel) => rel,
        Err(PathError::BadEncoding) => return plain(StatusCode::BAD_REQUEST, "bad path encoding"),
        Err(PathError::Traversal) => return plain(StatusCode::FORBIDDEN, "forbidden"),
    };
    // Held for the whole request: this generation's files stay until the response is built.
    let Some(generation) = shared.generations.current() else {
        return match shared.error() {
            Some(error) => status_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "vaultbook: the build failed",
                &format!(
                    "<h1>The book could not be built</h1><p>Fix the problem below and save: this page reloads by itself.</p><pre id=\"vaultbook-build-error\">{}</pre>",
                    escape_html(&error)
                ),
            ),
            None => status_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "vaultbook: building",
                "<h1>Building the book…</h1><p>This page reloads by itself when it is ready.</p>",
            ),
        };
    };
    let root = generation.dir();
    let mut path = root.join(&rel);
    let metadata = tokio::fs::metadata(&path).await;
    if metadata.as_ref().is_ok_and(|m| m.is_dir()) {
        if !uri.path().ends_with('/') {
            // Relative links in dir/index.html need the slash.
            let mut location = format!("{}/", uri.path());
            if let Some(q) = uri.query() {
                location = format!("{location}?{q}");
            }
            return redirect(&location);
        }
        path.push("index.html");
    }
    // A symlink in the book must not lead out of it.
    let inside = match (
        tokio::fs::canonicalize(&path).await,
        tokio::fs::canonicalize(root).await,
    ) {
        (Ok(p), Ok(r)) => p.starts_with(r),
        _ => false,
    };
    let body = if inside {
        tokio::fs::read(&path).await.ok()
    } else {
        None
    };
    let response = match body {
        Some(bytes) => file_response(StatusCode::OK, &path, bytes, generation.token()),
        None => not_found(root, generation.token()).await,
    };
    if head { strip_body(response) } else { response }
}

/// The book's 404 page (mdBook writes 404.html), or a plain one.
async fn not_found(root: &Path, token: &str) -> Response {
    let page = root.join("404.html");
    match tokio::fs::read(&page).await {
        Ok(bytes) => file_response(StatusCode::NOT_FOUND, &page, bytes, token),
        Err(_) => status_page(
            StatusCode::NOT_FOUND,
            "Not found",
            "<h1>Not found</h1><p><a href=\"/\">Back to the book</a></p>",
        ),
    }
}

/// A file's response: its content type, and the live-reload script if it is a page.
fn file_response(status: StatusCode, path: &Path, bytes: Vec<u8>, token: &str) -> Response {
    let html = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
    let (content_type, bytes) = if html {
        (
            "text/html; charset=utf-8".to_string(),
            reload::inject(&bytes, token),
        )
    } else {
        (content_type(path), bytes)
    };
    response(status, &content_type, Body::from(bytes))
}

/// The Content-Type for a file, with a charset for text.
pub fn content_type(path: &Path) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let textual = mime.type_() == mime_guess::mime::TEXT
        || matches!(
            mime.subtype().as_str(),
            "javascript" | "json" | "xml" | "svg"
        );
    if textual && mime.get_param("charset").is_none() {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    }
}

/// A small HTML page of ours (building, build error, not found), live reload included.
fn status_page(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:60em;margin:3em auto;padding:0 1em}}\
         pre{{white-space:pre-wrap;background:#fee;padding:1em;border-left:4px solid #c00}}</style>\
         </head><body>{body}</body></html>",
        escape_html(title)
    );
    let bytes = reload::inject(page.as_bytes(), "none");
    response(status, "text/html; charset=utf-8", Body::from(bytes))
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    response(status, "text/plain; charset=utf-8", Body::from(text))
}

fn redirect(location: &str) -> Response {
    let mut r = response(
        StatusCode::MOVED_PERMANENTLY,
        "text/plain; charset=utf-8",
        Body::empty(),
    );
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn response(status: StatusCode, content_type: &str, body: Body) -> Response {
    let mut r = Response::new(body);
    *r.status_mut() = status;
    let headers = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, v);
    }
    // A preview: always ask again.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn strip_body(response: Response) -> Response {
    let (parts, _) = response.into_parts();
    Response::from_parts(parts, Body::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_are_decoded_then_checked() {
        assert_eq!(relative_path("/").unwrap(), PathBuf::new());
        assert_eq!(
            relative_path("/a/My%20Note.html").unwrap(),
            PathBuf::from("a/My Note.html")
        );
        assert_eq!(
            relative_path("/./a//b.css").unwrap(),
            PathBuf::from("a/b.css")
        );
        for bad in [
            "/../etc/passwd",
            "/a/../../x",
            "/%2e%2e/x",
            "/..%2f..%2fetc%2fpasswd",
            "/a%5c..%5cb",
            "/a%00b",
        ] {
            assert_eq!(relative_path(bad), Err(PathError::Traversal), "{bad}");
        }
        assert_eq!(relative_path("/%ff"), Err(PathError::BadEncoding));
    }

    #[test]
    fn only_loopback_names_reach_a_loopback_server() {
        let with = |host: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::HOST, HeaderValue::from_str(host).unwrap());
            loopback_host(&h)
        };
        for ok in [
            "localhost",
            "localhost:3000",
            "127.0.0.1:1",
            "[::1]:80",
            "book.localhost",
        ] {
            assert!(with(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:3000",
            "192.168.1.2",
            "localhost.evil.example",
        ] {
            assert!(!with(bad), "{bad}");
        }
        assert!(loopback_host(&HeaderMap::new()));
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type(Path::new("a.css")), "text/css; charset=utf-8");
        assert!(content_type(Path::new("a.js")).contains("javascript"));
        assert!(content_type(Path::new("a.js")).ends_with("charset=utf-8"));
        assert_eq!(content_type(Path::new("a.png")), "image/png");
        assert_eq!(content_type(Path::new("a.woff2")), "font/woff2");
        assert_eq!(
            content_type(Path::new("a.unknownext")),
            "application/octet-stream"
        );
    }
}
