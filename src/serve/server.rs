//! HTTP: the files of the generation being served, with the live-reload script injected into
//! every HTML page; a "building" page before the first build, an error page when it failed.
//!
//! In front of every route, the `Host` check of [`guard`](super::guard); in front of every
//! file, our own path checks ([`relative_path`]: percent-decoding, no `..`, no backslash or NUL;
//! no symlink out of the book). Then:
//! - pages (`.html`) are read whole (they are small) and get the script, an `ETag` naming the
//!   file and the generation (the script holds its token), and `Cache-Control: no-cache`;
//! - every other file is streamed from disk by tower-http's `ServeFile` (ranges,
//!   `Last-Modified`, `If-Modified-Since`), with an `ETag` of ours (inode, size, modification
//!   time: a file hard-linked into the next generation keeps it) answered with 304 on a
//!   matching `If-None-Match`, and `Cache-Control: no-cache`: always asked again, rarely sent
//!   again.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use percent_encoding::percent_decode_str;
use tower_http::services::ServeFile;

use super::Shared;
use super::reload::{self, WS_PATH};
use crate::templates::html_escape;

/// The router: the websocket, and every other path mapped to the book; the `Host` checked
/// before either.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(WS_PATH, get(reload::ws_handler))
        .fallback(serve_book)
        .layer(middleware::from_fn_with_state(shared.clone(), check_host))
        .with_state(shared)
}

/// Refuses a request whose `Host` this server does not answer to (see [`super::guard`]).
async fn check_host(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if !shared.access.host_allowed(request.headers()) {
        return plain(
            StatusCode::FORBIDDEN,
            "this server answers to localhost only",
        );
    }
    next.run(request).await
}

/// Why a request path maps to no file.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum PathError {
    /// Not valid percent-encoded UTF-8.
    BadEncoding,
    /// It leaves the served folder (`..`, an absolute or drive path, a backslash, NUL).
    Traversal,
}

/// Maps a request path (`/a/b%20c.html`) to a path relative to the book: percent-decoded first,
/// then checked segment by segment, so that `%2e%2e` and `..%2f` are refused like `..`.
pub(super) fn relative_path(uri_path: &str) -> Result<PathBuf, PathError> {
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

/// Serves one request from the current generation.
async fn serve_book(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let method = request.method().clone();
    if method != Method::GET && method != Method::HEAD {
        return plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD");
    }
    let head = method == Method::HEAD;
    let uri = request.uri().clone();
    let rel = match relative_path(uri.path()) {
        Ok(rel) => rel,
        Err(PathError::BadEncoding) => return plain(StatusCode::BAD_REQUEST, "bad path encoding"),
        Err(PathError::Traversal) => return plain(StatusCode::FORBIDDEN, "forbidden"),
    };
    // Held for the whole request: this generation's files stay until the response is built
    // (a file being streamed stays readable after, through its open descriptor).
    let Some(generation) = shared.generations.current() else {
        return match shared.error() {
            Some(error) => status_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "vaultbook: the build failed",
                &format!(
                    "<h1>The book could not be built</h1><p>Fix the problem below and save: this page reloads by itself.</p><pre id=\"vaultbook-build-error\">{}</pre>",
                    html_escape(&error)
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
        (Ok(p), Ok(r)) if p.starts_with(&r) => Some(p),
        _ => None,
    };
    let found = match inside {
        Some(real) => match tokio::fs::metadata(&real).await {
            Ok(m) if m.is_file() => Some((real, m)),
            _ => None,
        },
        None => None,
    };
    let Some((real, metadata)) = found else {
        let response = if generation.is_early() {
            // The first pages of a large book are served while the rest is rendered: this one
            // is not there yet. The page carries the generation's token, so that it reloads on
            // the whole book's push and not on the greeting.
            token_page(
                StatusCode::SERVICE_UNAVAILABLE,
                "vaultbook: rendering",
                "<h1>Rendering the rest of the book…</h1><p>This page reloads by itself when it is ready.</p>",
                generation.token(),
            )
        } else {
            not_found(root, generation.token()).await
        };
        return if head { strip_body(response) } else { response };
    };
    let response = if is_html(&path) {
        page(request.headers(), &real, &metadata, generation.token()).await
    } else {
        file(request, &real, &metadata).await
    };
    match response {
        Some(r) if head => strip_body(r),
        Some(r) => r,
        None => not_found(root, generation.token()).await,
    }
}

/// Whether `path` is a page (gets the live-reload script).
fn is_html(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"))
}

/// The validator of a file: its inode, size and modification time, which a file hard-linked
/// into the next generation keeps and a file written anew changes.
fn file_tag(metadata: &std::fs::Metadata) -> String {
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(metadata);
    #[cfg(not(unix))]
    let inode = 0u64;
    let modified = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    format!("{inode:x}-{:x}-{modified:x}", metadata.len())
}

/// Whether `If-None-Match` names `etag` (weak comparison, as RFC 9110 asks for it), or is `*`.
fn none_match(headers: &HeaderMap, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    let ours = bare(etag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || bare(t) == ours)
}

/// 304 with the validator and the caching rule a 200 would have had.
fn not_modified(etag: &HeaderValue) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::NOT_MODIFIED;
    r.headers_mut().insert(header::ETAG, etag.clone());
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// A page, read whole, with the live-reload script of generation `token`. Its `ETag` names the
/// generation too (the script holds the token); no `Last-Modified`: a page hard-linked into a
/// new generation keeps its time but gets another script. None if it cannot be read.
async fn page(
    headers: &HeaderMap,
    path: &Path,
    metadata: &std::fs::Metadata,
    token: &str,
) -> Option<Response> {
    let etag = HeaderValue::from_str(&format!("\"{}-{token}\"", file_tag(metadata))).ok()?;
    if none_match(headers, etag.to_str().unwrap_or("")) {
        return Some(not_modified(&etag));
    }
    let bytes = tokio::fs::read(path).await.ok()?;
    let mut r = page_response(StatusCode::OK, &bytes, token);
    r.headers_mut().insert(header::ETAG, etag);
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Some(r)
}

/// Any other file, streamed by `ServeFile` (ranges, `Last-Modified`), behind our `ETag`. None
/// if it cannot be opened.
async fn file(request: Request, path: &Path, metadata: &std::fs::Metadata) -> Option<Response> {
    let etag = HeaderValue::from_str(&format!("\"{}\"", file_tag(metadata))).ok()?;
    let (mut parts, _) = request.into_parts();
    if parts.headers.contains_key(header::IF_NONE_MATCH) {
        if none_match(&parts.headers, etag.to_str().unwrap_or("")) {
            return Some(not_modified(&etag));
        }
        // RFC 9110: with If-None-Match, If-Modified-Since is not looked at.
        parts.headers.remove(header::IF_MODIFIED_SINCE);
    }
    // ServeFile knows no If-Range: a range of a file that has changed since is not asked for.
    if parts
        .headers
        .get(header::IF_RANGE)
        .is_some_and(|v| v.as_bytes() != etag.as_bytes())
    {
        parts.headers.remove(header::RANGE);
    }
    let request = Request::from_parts(parts, Body::empty());
    let served = ServeFile::new(path).try_call(request).await.ok()?;
    let (mut parts, body) = served.into_parts();
    if matches!(
        parts.status,
        StatusCode::OK | StatusCode::PARTIAL_CONTENT | StatusCode::NOT_MODIFIED
    ) {
        if let Ok(v) = HeaderValue::from_str(&content_type(path))
            && parts.status != StatusCode::NOT_MODIFIED
        {
            parts.headers.insert(header::CONTENT_TYPE, v);
        }
        parts.headers.insert(header::ETAG, etag);
    }
    parts
        .headers
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Some(Response::from_parts(parts, Body::new(body)))
}

/// The book's 404 page (mdBook writes 404.html), or a plain one.
async fn not_found(root: &Path, token: &str) -> Response {
    match tokio::fs::read(root.join("404.html")).await {
        Ok(bytes) => page_response(StatusCode::NOT_FOUND, &bytes, token),
        Err(_) => status_page(
            StatusCode::NOT_FOUND,
            "Not found",
            "<h1>Not found</h1><p><a href=\"/\">Back to the book</a></p>",
        ),
    }
}

/// A page of the book with the live-reload script, not to be stored (callers that give it a
/// validator relax that to `no-cache`).
fn page_response(status: StatusCode, html: &[u8], token: &str) -> Response {
    response(
        status,
        "text/html; charset=utf-8",
        Body::from(reload::inject(html, token)),
    )
}

/// The Content-Type for a file, with a charset for text.
pub(super) fn content_type(path: &Path) -> String {
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
    token_page(status, title, body, "none")
}

/// A [`status_page`] that reloads when a generation other than `token` is served.
fn token_page(status: StatusCode, title: &str, body: &str, token: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:60em;margin:3em auto;padding:0 1em}}\
         pre{{white-space:pre-wrap;background:#fee;padding:1em;border-left:4px solid #c00}}</style>\
         </head><body>{body}</body></html>",
        html_escape(title)
    );
    let bytes = reload::inject(page.as_bytes(), token);
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
