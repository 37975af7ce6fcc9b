//! html5ever's tokenizer as vaultbook's readers of HTML use it (`check --html`, the sanitiser,
//! page previews): no tree is built, so what a tree builder would tell the tokenizer, that the
//! content of `<script>` or `<textarea>` is text and not tags, is said here, once.

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{BufferQueue, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts};

/// Runs `text` through the tokenizer into `sink`, and gives the sink back.
pub(crate) fn tokenize<S: TokenSink>(text: impl Into<StrTendril>, sink: S) -> S {
    let input = BufferQueue::default();
    input.push_back(text.into());
    let tokenizer = Tokenizer::new(sink, TokenizerOpts::default());
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink
}

/// What the tokenizer reads after the start tag of `name` (not self-closing): text for the
/// raw-text elements, tags otherwise. `scripting`: read as a browser running scripts reads it,
/// where `<noscript>` holds text (the sanitiser judges what readers' browsers will see); without
/// it, `<noscript>` holds tags (`check --html` and previews read every link a page has).
pub(crate) fn after_start_tag<H>(name: &str, scripting: bool) -> TokenSinkResult<H> {
    match name {
        "script" => TokenSinkResult::RawData(RawKind::ScriptData),
        "style" | "xmp" | "iframe" | "noembed" | "noframes" => {
            TokenSinkResult::RawData(RawKind::Rawtext)
        }
        "noscript" if scripting => TokenSinkResult::RawData(RawKind::Rawtext),
        "textarea" | "title" => TokenSinkResult::RawData(RawKind::Rcdata),
        "plaintext" => TokenSinkResult::Plaintext,
        _ => TokenSinkResult::Continue,
    }
}
