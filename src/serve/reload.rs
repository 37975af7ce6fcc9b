//! Live reload: the websocket at [`WS_PATH`] and the script injected into every served page.
//!
//! The protocol, one text message each:
//! - `hello <token>` on connect: the generation being served (`none` before a first good build).
//!   A page built from another generation reloads: it missed a reload, or the server restarted.
//! - `reload <token>`: a new book is being served; the page saves its scroll position and
//!   reloads.
//! - `error <text>`: the last build failed; the page shows the text in an overlay and keeps
//!   its content.
//! - `ok`: the error is gone (sent on connect when there is none).

use std::sync::Arc;

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use tokio::sync::broadcast::error::RecvError;

use super::Shared;

/// Where pages connect for reload messages.
pub(super) const WS_PATH: &str = "/__vaultbook/ws";

/// A message for every open page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Push {
    /// A new generation, by token, is being served.
    Reload(String),
    /// The last build failed with this text.
    Error(String),
}

impl Push {
    /// The websocket text of this message.
    pub fn to_text(&self) -> String {
        match self {
            Push::Reload(token) => format!("reload {token}"),
            Push::Error(text) => format!("error {text}"),
        }
    }
}

/// Upgrades to the live-reload websocket, for pages of the book only: the build errors it
/// sends hold local paths, and any page the user visits could otherwise open it (see
/// [`guard`](super::guard); the `Host` is checked in front of every route).
pub(crate) async fn ws_handler(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !shared.access.origin_allowed(&headers) {
        let mut r = Response::new(axum::body::Body::from(
            "live reload is for pages of this book only",
        ));
        *r.status_mut() = StatusCode::FORBIDDEN;
        return r;
    }
    upgrade.on_upgrade(move |socket| connection(shared, socket))
}

/// One page's connection: hello, the current error, then every push until either side stops.
async fn connection(shared: Arc<Shared>, mut socket: WebSocket) {
    // Subscribe before reading the state, so that nothing falls between the two.
    let mut pushes = shared.pushes.subscribe();
    let mut stopping = shared.stopping.clone();
    let token = shared
        .generations
        .current()
        .map(|g| g.token().to_string())
        .unwrap_or_else(|| "none".to_string());
    let mut greeting = vec![format!("hello {token}")];
    greeting.push(match shared.error() {
        Some(e) => Push::Error(e).to_text(),
        None => "ok".to_string(),
    });
    for text in greeting {
        if socket.send(Message::Text(text.into())).await.is_err() {
            return;
        }
    }
    loop {
        tokio::select! {
            push = pushes.recv() => {
                let text = match push {
                    Ok(p) => p.to_text(),
                    // Too slow to keep up: whatever it missed, the newest book is what counts.
                    Err(RecvError::Lagged(_)) => match shared.generations.current() {
                        Some(g) => Push::Reload(g.token().to_string()).to_text(),
                        None => continue,
                    },
                    Err(RecvError::Closed) => break,
                };
                if socket.send(Message::Text(text.into())).await.is_err() {
                    return;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
            _ = async { stopping.wait_for(|s| *s).await.is_ok() } => break,
        }
    }
    let _ = socket.send(Message::Close(None)).await;
}

/// The client. `__VAULTBOOK_TOKEN__` becomes the generation the page was built from.
const SCRIPT: &str = r#"<script>
(function () {
  "use strict";
  var token = "__VAULTBOOK_TOKEN__";
  var key = "vaultbook-scroll:" + location.pathname;
  // Back from a reload we asked for: put the page where it was. A first visit has no saved
  // position, so a #fragment in the URL keeps its say.
  var saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(key) || "null"); } catch (e) { saved = null; }
  function restore() {
    if (saved && typeof saved.y === "number" && Date.now() - saved.t < 60000) {
      window.scrollTo(saved.x || 0, saved.y);
    }
  }
  if (saved) {
    restore();
    document.addEventListener("DOMContentLoaded", restore);
    window.addEventListener("load", function () {
      restore();
      try { sessionStorage.removeItem(key); } catch (e) {}
      try { history.scrollRestoration = "auto"; } catch (e) {}
      saved = null;
    });
  }
  function reload() {
    try {
      sessionStorage.setItem(key, JSON.stringify({ x: window.scrollX, y: window.scrollY, t: Date.now() }));
      history.scrollRestoration = "manual";
    } catch (e) {}
    location.reload();
  }
  function overlay() {
    var el = document.getElementById("__vaultbook_overlay");
    if (el) return el;
    el = document.createElement("div");
    el.id = "__vaultbook_overlay";
    el.setAttribute("role", "alert");
    el.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:45vh;overflow:auto;" +
      "z-index:2147483647;background:rgba(40,0,0,0.94);color:#fff;font:13px/1.4 monospace;" +
      "padding:12px 16px;border-top:3px solid #e33;box-shadow:0 -4px 16px rgba(0,0,0,.4)";
    var close = document.createElement("button");
    close.textContent = "\u00d7";
    close.title = "Hide";
    close.style.cssText = "float:right;background:none;border:0;color:#fff;font-size:20px;cursor:pointer";
    close.onclick = function () { el.remove(); };
    var title = document.createElement("strong");
    title.textContent = "vaultbook: the build failed; this is the last good version of the page";
    var pre = document.createElement("pre");
    pre.className = "__vaultbook_error";
    pre.style.cssText = "white-space:pre-wrap;margin:8px 0 0;background:none;color:inherit;font:inherit";
    el.appendChild(close);
    el.appendChild(title);
    el.appendChild(pre);
    (document.body || document.documentElement).appendChild(el);
    return el;
  }
  function showError(text) {
    overlay().querySelector("pre").textContent = text;
  }
  function clearError() {
    var el = document.getElementById("__vaultbook_overlay");
    if (el) el.remove();
  }
  var delay = 250;
  function connect() {
    var ws;
    try {
      ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "__VAULTBOOK_WS__");
    } catch (e) { setTimeout(connect, delay); return; }
    ws.onopen = function () { delay = 250; };
    ws.onmessage = function (event) {
      var data = String(event.data);
      var space = data.indexOf(" ");
      var kind = space < 0 ? data : data.slice(0, space);
      var rest = space < 0 ? "" : data.slice(space + 1);
      if (kind === "hello" && rest !== token) reload();
      else if (kind === "reload" && rest !== token) reload();
      else if (kind === "error") showError(rest);
      else if (kind === "ok") clearError();
    };
    ws.onclose = function () {
      // The server restarted or went away: try again, less and less often.
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 3000);
    };
  }
  connect();
})();
</script>"#;

/// The live-reload script for a page built from the generation `token`.
pub(super) fn script(token: &str) -> String {
    SCRIPT
        .replace("__VAULTBOOK_TOKEN__", &js_string(token))
        .replace("__VAULTBOOK_WS__", WS_PATH)
}

/// `s` made safe inside a double-quoted JavaScript string within a `<script>` element.
fn js_string(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect()
}

/// Inserts the live-reload script into `html`, before the last `</body>` (or at the end).
pub(super) fn inject(html: &[u8], token: &str) -> Vec<u8> {
    let script = script(token);
    let at = rfind_ascii_ci(html, b"</body>").unwrap_or(html.len());
    let mut out = Vec::with_capacity(html.len() + script.len());
    out.extend_from_slice(&html[..at]);
    out.extend_from_slice(script.as_bytes());
    out.extend_from_slice(&html[at..]);
    out
}

/// The last position of `needle` in `haystack`, ignoring ASCII case.
fn rfind_ascii_ci(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > haystack.len() {
        return None;
    }
    (0..=haystack.len() - needle.len())
        .rev()
        .find(|&i| haystack[i..i + needle.len()].eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_goes_before_the_last_body_end() {
        let page = b"<html><body><p>x</p></BODY></html>";
        let out = String::from_utf8(inject(page, "abc-1")).unwrap();
        let script_at = out.find("<script>").unwrap();
        assert!(script_at < out.find("</BODY>").unwrap());
        assert!(out.contains("var token = \"abc-1\""));
        assert!(out.contains(WS_PATH));
        let bare = String::from_utf8(inject(b"<p>x</p>", "t")).unwrap();
        assert!(bare.starts_with("<p>x</p><script>"));
    }

    #[test]
    fn tokens_cannot_break_out_of_the_script() {
        assert_eq!(js_string("a\"</script><b>-1"), "ascriptb-1");
    }
}
