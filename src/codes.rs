//! The one registry of diagnostic codes: every [`Code`] vaultbook reports, with its kebab-case
//! name, its default severity, its group and an explanation (what `vaultbook explain CODE`
//! prints).
//!
//! A [`crate::Diagnostic`] takes its severity from here ([`crate::Diagnostic::new`]); only
//! `[vaultbook.check]` in book.toml changes it afterwards ([`crate::report::Levels`]). Adding a
//! code is one row of the table below, and a test fails until something emits it.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

use crate::diagnostics::Severity;

/// What part of the book a code is about, for listing codes and for `[vaultbook.check]` keys
/// that name a whole group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Group {
    /// Links between notes and to files.
    Links,
    /// Embeds (`![[…]]`) of notes, sections, blocks and attachments.
    Embeds,
    /// The content of one note: frontmatter, encoding, block ids.
    Notes,
    /// Files and folders of the vault as they are scanned.
    Vault,
    /// Rust snippets: their settings, compilation and runs.
    Snippets,
    /// The book as a whole: book.toml's programs, templates.
    Book,
    /// The rendered HTML (`check --html`).
    Html,
    /// Bugs in vaultbook itself.
    Internal,
}

impl Group {
    /// Every group, in listing order.
    pub const ALL: &[Group] = &[
        Group::Links,
        Group::Embeds,
        Group::Notes,
        Group::Vault,
        Group::Snippets,
        Group::Book,
        Group::Html,
        Group::Internal,
    ];

    /// The lowercase name (`links`, `snippets`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Group::Links => "links",
            Group::Embeds => "embeds",
            Group::Notes => "notes",
            Group::Vault => "vault",
            Group::Snippets => "snippets",
            Group::Book => "book",
            Group::Html => "html",
            Group::Internal => "internal",
        }
    }
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

macro_rules! codes {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $name:literal, $severity:ident, $group:ident,
            $summary:literal,
            $explanation:literal;
    )*) => {
        /// A diagnostic code. Its [`name`](Code::name) is what every output format prints and
        /// what `[vaultbook.check]` names.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[$doc])* $variant, )*
        }

        impl Code {
            /// Every code, grouped, in the order `check --list-codes` prints them.
            pub const ALL: &[Code] = &[ $( Code::$variant, )* ];

            /// The stable kebab-case name (`broken-link`).
            pub const fn name(self) -> &'static str {
                match self { $( Code::$variant => $name, )* }
            }

            /// The severity a diagnostic with this code has unless `[vaultbook.check]` says
            /// otherwise.
            pub const fn default_severity(self) -> Severity {
                match self { $( Code::$variant => Severity::$severity, )* }
            }

            /// The group the code belongs to.
            pub const fn group(self) -> Group {
                match self { $( Code::$variant => Group::$group, )* }
            }

            /// One line saying what the code reports.
            pub const fn summary(self) -> &'static str {
                match self { $( Code::$variant => $summary, )* }
            }

            /// A paragraph or two with an example that triggers the code and how to fix it.
            pub const fn explanation(self) -> &'static str {
                match self { $( Code::$variant => $explanation, )* }
            }
        }
    };
}

codes! {
    // ---- links ----
    /// A link to a note or file that does not exist.
    BrokenLink = "broken-link", Error, Links,
        "a link to a note or file that does not exist",
        "A wikilink or markdown link names a note (or file) that the vault does not have, so the \
link would lead nowhere. It is shown as plain text in the book.

    See [[Instalation]] before you start.

with `Installation.md` in the vault but no `Instalation.md`: the help line suggests the close \
names. Fix the name (`[[Installation]]`), or create the note.";

    /// A link to a heading the note does not have.
    MissingHeading = "missing-heading", Error, Links,
        "a link to a heading that the note does not have",
        "The note exists but has no heading matching the part after `#`. Headings match as \
Obsidian matches them: case, markup and punctuation are ignored.

    [[Mutex#Poisoning]]

where `Mutex.md` has `## Lock poisoning` but no `Poisoning`. Link to the heading as written \
(`[[Mutex#Lock poisoning]]`), or rename the heading.";

    /// A link to a block id the note does not have.
    MissingBlock = "missing-block", Error, Links,
        "a link to a block id (`^id`) that the note does not have",
        "The note exists but no block of it ends with the `^id` the link names.

    [[Channels#^summary]]

where `Channels.md` has no line ending in `^summary`. Add the id to the block you mean \
(`A channel moves values between threads. ^summary`), or fix the link's id.";

    /// A bare note name that several notes share.
    AmbiguousLink = "ambiguous-link", Warning, Links,
        "a note name that several notes share",
        "Several notes (or files) have the name the link uses, in folders other than the \
linking note's own. vaultbook picks the one Obsidian would and says which.

    [[Overview]]

with both `threads/Overview.md` and `async/Overview.md`. Write the folder too to choose: \
`[[threads/Overview]]`.";

    /// A link to a note left out by `publish: false`.
    UnpublishedLink = "unpublished-link", Warning, Links,
        "a link to a note left out of the book by `publish: false`",
        "The linked note has `publish: false` in its frontmatter, so it is not in the book and \
the link is shown as plain text.

    ---
    publish: false
    ---

in `Drafts.md`, and `[[Drafts]]` in another note. Remove the link, or publish the note.";

    /// A link or embed that reaches outside the vault.
    OutsideVault = "outside-vault", Error, Links,
        "a link or embed to a file outside the vault",
        "A link's path climbs out of the vault (`..`, an absolute path). vaultbook never reads \
files outside the vault, so the link is broken.

    ![diagram](../../secret/diagram.png)

Move the file into the vault and link to it there (`![diagram](assets/diagram.png)`).";

    /// A link with nothing to link to.
    EmptyLink = "empty-link", Warning, Links,
        "a link with nothing to link to (`[[]]`, `[text]()`)",
        "The link has no target, so Obsidian does not turn it into a link either.

    See [[]] and [the docs]().

Fill in the target (`[[Setup]]`, `[the docs](Setup.md)`), or remove the brackets.";

    /// A `[[` without its `]]`.
    UnclosedWikilink = "unclosed-wikilink", Warning, Links,
        "a `[[` without its `]]`",
        "A wikilink is opened with `[[` but not closed on the same line, so it is plain text.

    Read [[Ownership first.

Close it (`[[Ownership]] first`), or escape the brackets (`\\[\\[`) if they are meant \
literally.";

    // ---- embeds ----
    /// An embed of a note, heading or block that does not exist.
    MissingEmbed = "missing-embed", Error, Embeds,
        "an embed (`![[…]]`) of a note, heading or block that does not exist",
        "An embed names a note that the vault does not have (headings and blocks that are \
missing are `missing-heading` and `missing-block`). The page shows a marker where the \
embedded text would be.

    ![[Glosary]]

with `Glossary.md` in the vault. Fix the name (`![[Glossary]]`), or create the note.";

    /// An embedded image or other attachment that does not exist.
    MissingAttachment = "missing-attachment", Error, Embeds,
        "an image or other attachment that does not exist",
        "An embed names a file with an extension (an image, audio, video, PDF) that is not in \
the vault.

    ![[arc-diagram.png|300]]

with no `arc-diagram.png` anywhere in the vault. Add the file to the vault (any folder: names \
are looked up vault-wide, as Obsidian does), or fix the name.";

    /// An embedded file the book cannot show.
    UnrenderedEmbed = "unrendered-embed", Info, Embeds,
        "an embedded file the book cannot show; it becomes a link to the file",
        "The embed names a file that exists but that vaultbook cannot render into a page, such \
as an Obsidian Base (`.base`, a database view Obsidian computes from the vault's properties). \
The page shows a link to the file instead, and the book still builds.

    ![[Reading list.base]]

Export what the view shows into a note, or link to the file knowingly: `[[Reading list.base]]`.";

    /// A formula that cannot be typeset.
    MathError = "math-error", Warning, Notes,
        "a `$formula$` that cannot be typeset; the page shows its source",
        "Math between `$…$` or `$$…$$` is typeset to MathML when the book is built (no script, \
nothing loaded from the network). A formula the TeX parser cannot read, such as an unclosed \
group or an unknown command, is shown as its source in the page, marked, and reported here.

    $\\frac{1}{$      (the group after \\frac is not closed)

Fix the formula; if the dollars were not meant as math, escape them: `\\$5`.";

    /// A `.canvas` file that is not valid JSON Canvas.
    CanvasError = "canvas-error", Warning, Notes,
        "a `.canvas` file that cannot be read or drawn in full",
        "A JSON Canvas file (`.canvas`, as Obsidian writes it) becomes a page of the book that draws \
its nodes and edges. A file that is not valid JSON is reported at the line and column where \
the JSON breaks, and its page shows a notice; an edge whose `fromNode` or `toNode` names no \
node is left out; past 5,000 nodes or 10,000 edges the rest is not drawn.

    {\"nodes\": [{\"id\": \"a\", }]}      (a comma before `}`)

Fix the JSON, or open and save the canvas in Obsidian.";

    /// Raw HTML of a note that the book leaves out.
    UnsafeHtml = "unsafe-html", Warning, Notes,
        "raw HTML in a note that could run code in the reader's browser; it is left out",
        "A note's raw HTML is sanitised as Obsidian's reading view sanitises it: scripts, \
event handlers (`onclick`, `onerror`, …), elements such as `<object>`, and `javascript:` or \
`data:` URLs are removed; safe markup (`<details>`, `<span style>`, `<kbd>`, `<iframe>` embeds, \
tables, media) stays. Markdown links to `javascript:` URLs become their text.

    <img src=\"pic.png\" onerror=\"alert(1)\">   (the page shows <img src=\"pic.png\">)

A vault read only by people who trust its authors can keep its HTML as written with \
`[vaultbook] raw-html = true` in book.toml.";

    /// Notes that embed each other in a cycle.
    EmbedCycle = "embed-cycle", Error, Embeds,
        "notes that embed each other in a cycle",
        "An embed shows text that is already being embedded around it (a note embedding itself, \
directly or through other notes, or a section that embeds itself), so embedding cannot end. \
Another section of the same note is not a cycle: `![[#Details]]` under another heading renders. \
The embed that closes the cycle is shown as a marker; the message names the chain.

    A.md:  ![[B]]
    B.md:  ![[A]]

Link instead of embedding on one side (`[[A]]`), or embed a section that does not lead back \
(`![[A#Summary]]`).";

    /// Embeds nested deeper than the limit.
    EmbedDepth = "embed-depth", Error, Embeds,
        "embeds nested deeper than the limit; the deepest are left out",
        "Embeds inside embedded notes go deeper than vaultbook follows (8 levels), so the \
deepest embeds are shown as markers and their text is missing from the page.

    A.md: ![[B]]   B.md: ![[C]]   C.md: ![[D]]   …

Flatten the chain: embed the note you want directly, or link to it instead of embedding.";

    /// A page with too many embeds or too much embedded text.
    EmbedLimit = "embed-limit", Error, Embeds,
        "a page that holds too many embeds or too much embedded text",
        "One page embeds more notes, or more embedded text, than vaultbook puts on one page (a \
note embedding a note that embeds it many times over can grow without bound). The embeds past \
the limit are shown as markers.

    ![[Big]] ![[Big]] ![[Big]] …   (thousands of times)

Embed less on the page: split it into several notes, or link instead of embedding.";

    // ---- notes ----
    /// A block id used twice in one note.
    DuplicateBlockId = "duplicate-block-id", Warning, Notes,
        "a block id used twice in one note",
        "Two blocks of one note end with the same `^id`. Links and embeds reach the first one \
only.

    First point. ^key
    Second point. ^key

Give the second block another id (`^key2`) and update the links that meant it.";

    /// YAML frontmatter that does not parse.
    MalformedFrontmatter = "malformed-frontmatter", Warning, Notes,
        "YAML frontmatter that does not parse",
        "The block between the `---` lines at the top of the note is not valid YAML, so its keys \
(`title`, `aliases`, `tags`, `publish`, `order`) are ignored.

    ---
    title: Threads: a primer
    ---

(the second `:` makes it invalid). Quote the value: `title: \"Threads: a primer\"`.";

    /// A note that is not valid UTF-8.
    InvalidUtf8 = "invalid-utf8", Warning, Notes,
        "a note that is not valid UTF-8",
        "The note holds bytes that are not UTF-8 (it was saved as Latin-1 or Windows-1252, or \
is damaged). It is built with each invalid byte shown as \u{FFFD}; the diagnostic points at the \
first one.

    caf\\xE9 au lait      (`é` saved as the Latin-1 byte 0xE9)

Re-save the note as UTF-8 in your editor.";

    /// Text that looks like UTF-8 read as Windows-1252.
    Mojibake = "mojibake", Warning, Notes,
        "text that looks like UTF-8 read as Windows-1252 (`â€”` for `—`)",
        "The note contains a run of characters that UTF-8 text turns into when it is decoded as \
Windows-1252 somewhere on its way (a copy from a web page, an export).

    Itâ€™s here.

The help line gives the repaired text: replace it (`It’s here.`).";

    /// A note that no other note links to.
    OrphanNote = "orphan-note", Info, Notes,
        "a note that no other note links to",
        "No other note links to or embeds this one (the opening note aside). It is still in the \
book, in the table of contents, but a reader following links never reaches it. Shown with \
`-v` only.

    Scratch.md   (no `[[Scratch]]` anywhere)

Link to it from a note where it belongs, mark it `publish: false`, or silence the check with \
`orphan-note = \"allow\"` in `[vaultbook.check]`.";

    // ---- vault ----
    /// A file or folder of the vault, or of the rendered book, that could not be read.
    ReadError = "read-error", Error, Vault,
        "a file or folder that could not be read",
        "A note, a folder of the vault, or (with `check --html`) a page of the rendered book \
could not be read: its permissions forbid it, or it vanished while vaultbook was reading. \
What it holds is missing from the book.

    $ chmod 000 vault/Notes.md
    $ vaultbook check
    vault/Notes.md: error[read-error]: cannot read the note: Permission denied

Make the file readable (`chmod u+r vault/Notes.md`), or move it out of the vault. For \
`check --html`, run `vaultbook build` first.";

    /// A vault entry that is not a readable file and is skipped.
    SkippedFile = "skipped-file", Warning, Vault,
        "a broken symlink, symlink loop, pipe, socket or device in the vault, skipped",
        "An entry of the vault is not something vaultbook can read as a file: a symlink to \
nothing, symlinks that point at each other, a named pipe, a socket or a device. It is skipped \
and never opened (a pipe would block the build forever).

    $ ln -s missing.md vault/dangling.md

Remove the entry, point the symlink at a real file of the vault, or list it in \
`[vaultbook] ignore`.";

    /// A symlink in the vault that leads outside it.
    SymlinkOutsideVault = "symlink-outside-vault", Warning, Vault,
        "a symlink in the vault that leads outside it, skipped",
        "A symlink inside the vault points at a file or folder outside it. vaultbook never reads \
outside the vault (a symlink to `~/.ssh` must not publish it), so the entry is skipped and \
links to it are broken.

    $ ln -s ../secret.md vault/leak.md

Copy the file into the vault instead of linking to it, or remove the symlink.";

    /// A symlinked folder that is not followed.
    SymlinkSkipped = "symlink-skipped", Info, Vault,
        "a symlinked folder inside the vault, not followed",
        "A symlink in the vault points at a folder (inside the vault). Following folder links \
could loop or list notes twice, so it is not followed; the folder's notes are in the book \
through their real path. Shown with `-v` only.

    $ ln -s threads vault/concurrency

Link to the notes by their real folder (`[[threads/Mutex]]`), or remove the symlink.";

    // ---- snippets ----
    /// A Rust snippet that does not compile.
    SnippetCompileError = "snippet-compile-error", Error, Snippets,
        "a Rust snippet that does not compile (and is not marked `compile_fail`)",
        "A ```` ```rust ```` block does not compile, or is marked `compile_fail,E0XXX` and fails \
with other error codes. rustc's messages are shown under the block.

    ```rust
    let v = vec![1];
    drop(v);
    println!(\"{v:?}\");
    ```

Fix the code; if the error is the point of the example, mark the block \
```` ```rust,compile_fail,E0382 ````.";

    /// A Rust snippet that panicked.
    SnippetPanicked = "snippet-panicked", Error, Snippets,
        "a Rust snippet that panicked (and is not marked `should_panic`)",
        "The snippet compiled and panicked while it ran.

    ```rust
    let v: Vec<i32> = Vec::new();
    println!(\"{}\", v[0]);
    ```

Fix the code; if the panic is the point, mark the block ```` ```rust,should_panic ````.";

    /// A Rust snippet that ran longer than its time limit.
    SnippetTimeout = "snippet-timeout", Error, Snippets,
        "a Rust snippet (or its compilation) that ran longer than its time limit",
        "The snippet ran longer than its timeout (`[vaultbook.snippets] timeout`, or the block's \
`timeout=SECS`) and was stopped, or its compilation ran past `compile-timeout`.

    ```rust
    loop {}
    ```

Make it finish, raise the limit (```` ```rust,timeout=30 ````), or mark it \
```` ```rust,should_timeout ```` if it is meant to hang.";

    /// A Rust snippet stopped by a resource limit or a signal.
    SnippetKilled = "snippet-killed", Error, Snippets,
        "a Rust snippet stopped by a resource limit or a signal",
        "The snippet was killed: it used more memory, CPU time, file size or processes than \
`[vaultbook.snippets]` allows, or was stopped by a signal.

    ```rust
    let big = vec![0u8; 8 << 30];
    println!(\"{}\", big.len());
    ```

Use less, or raise the limit in `[vaultbook.snippets]` (`memory = \"16GiB\"`, `cpu`, \
`file-size`, `processes`).";

    /// A Rust snippet that exited with a non-zero status.
    SnippetFailed = "snippet-failed", Error, Snippets,
        "a Rust snippet that exited with a non-zero status",
        "The snippet ran to its end but exited with a status other than 0 (and did not panic).

    ```rust
    std::process::exit(3);
    ```

Make it exit with status 0 (return normally from `main`, or return `Ok(())`).";

    /// A snippet marked to fail that did not.
    SnippetUnexpectedSuccess = "snippet-unexpected-success", Error, Snippets,
        "a Rust snippet marked `compile_fail`, `should_panic` or `should_timeout` that did not",
        "The block announces a failure (`compile_fail`, `should_panic`, `should_timeout`), but \
the snippet compiled, ended normally or ended at all, so the page would claim something false.

    ```rust,should_panic
    let v = vec![1];
    println!(\"{}\", v[0]);
    ```

Remove the attribute, or make the code fail as it says (`v[1]`).";

    /// A Rust snippet whose output was cut at `max-output`.
    SnippetOutputTruncated = "snippet-output-truncated", Warning, Snippets,
        "a Rust snippet that printed more than `max-output` and was stopped",
        "The snippet printed more than `[vaultbook.snippets] max-output` allows; it was stopped \
there and the page shows what it printed up to the limit.

    ```rust
    for i in 0.. { println!(\"{i}\"); }
    ```

Print less, or raise the limit (`max-output = \"1MiB\"`).";

    /// No sandbox could be made for the vault's code.
    SnippetSandbox = "snippet-sandbox", Error, Snippets,
        "no sandbox could be made for the vault's code, so no snippet was compiled or run",
        "Snippets compile and run only inside a bubblewrap jail. On this machine bubblewrap is \
missing or cannot create namespaces, so no snippet of the book was compiled or run; their \
pages say \"not run\". One diagnostic for the whole book.

    $ vaultbook check
    error[snippet-sandbox]: bubblewrap (bwrap) was not found

Install bubblewrap (`apt-get install bubblewrap`) and allow unprivileged user namespaces, or, \
for a book you trust, pass `--trust-snippets`; `--no-run` skips snippets altogether.";

    /// A snippet that could not be compiled or run because the toolchain failed.
    SnippetNotRun = "snippet-not-run", Error, Snippets,
        "a Rust snippet that could not be compiled or run because the toolchain failed",
        "The snippet was not compiled or run for a reason outside it: cargo or rustc could not \
be found or failed to start, or the snippet dependencies could not be fetched.

    [vaultbook.snippets.dependencies]
    rayon = \"99\"      (no such version)

Check that `cargo` and `rustc` work in your environment, and that the dependencies exist.";

    /// A `[vaultbook.snippets]` setting that is not understood.
    SnippetConfig = "snippet-config", Warning, Snippets,
        "a [vaultbook.snippets] setting that is not understood",
        "A key of `[vaultbook.snippets]` is unknown or has a value of the wrong type; it is \
ignored and the default is used.

    [vaultbook.snippets]
    timout = 30

Fix the key (`timeout = 30`) or its value (`memory = \"1GiB\"`, not `memory = \"lots\"`).";

    /// A snippet dependency refused because it names a path, git or registry.
    SnippetDependencyRefused = "snippet-dependency-refused", Error, Snippets,
        "a snippet dependency that is not a published crate, left out",
        "book.toml is not trusted to choose where code comes from: a snippet dependency may only \
be a published crate (a version, or a table of `version`, `features`, `default-features`, \
`package`). One with `path`, `git`, `registry-index` or another key is left out, and snippets \
that use it fail to compile.

    [vaultbook.snippets.dependencies]
    helper = { path = \"../helper\" }

Publish the crate and name its version (`helper = \"0.3\"`).";

    /// A code block attribute vaultbook does not know.
    UnknownSnippetAttribute = "unknown-snippet-attribute", Warning, Snippets,
        "a code block attribute that vaultbook does not know",
        "A ```` ```rust ```` block's info string has an attribute that neither rustdoc nor \
vaultbook knows; it is ignored.

    ```rust,should_panik
    ```

Fix the spelling (`should_panic`). Known: `ignore`, `no_run`, `should_panic`, \
`compile_fail[,E0XXX]`, `should_timeout`, `timeout=SECS`, `runs=N`, `editionYYYY`, \
`hide_output`.";

    // ---- book ----
    /// A preprocessor named in book.toml that was not run.
    SkippedCommand = "skipped-command", Warning, Book,
        "a preprocessor named in book.toml that was not run (run them with --allow-commands)",
        "book.toml names `[preprocessor.NAME]` tables, which are programs; vaultbook runs them \
only with `--allow-commands` on the command line (never with `--no-run`), so the book was built \
without them and pages they would change may differ.

    [preprocessor.katex]

Pass `--allow-commands` to `build` or `serve` if you trust the book's book.toml, or remove the \
table.";

    /// The print page of a book too large to print, left out.
    PrintPageOmitted = "print-page-omitted", Info, Book,
        "the book is too large for a print page; print.html is left out",
        "mdBook's print page holds every chapter in one HTML file: past about 10 MB of \
chapters (65 MB of HTML at 10,000 notes) no browser opens it to print, and rendering it costs \
the build. From 1,000 chapters it is also the one page that keeps a build from rendering only \
what an edit changed: every chapter is on it, so every build renders them all. vaultbook then \
leaves it out, with its print button. A book that wants it anyway says so:

    [output.html.print]
    enable = true";

    /// A note long enough to be cut into several chapters: how it was cut, or why it was not.
    LongNote = "long-note", Info, Notes,
        "a very long note, cut into several chapters (or left whole, and why)",
        "A note over twice `[vaultbook] note-part-size` (2 MiB) becomes several chapters of about \
that size: a page of many megabytes is more than a browser opens, and more than mdBook renders \
in bounded memory. The cuts come before headings at column 0, or between paragraphs where a note \
has no heading for a long stretch (never inside a code block, a list, a quote or a `%%comment%%`); the first part keeps the note's path, the others follow it, nested \
under it, and every link to one of its headings or blocks goes to the part that holds it. A note \
with no such place, or with a link reference or footnote definition (`[x]: …`, which a reference \
in any part may use), stays one page. To keep every note whole:

    [vaultbook]
    note-part-size = 0";

    /// `search = "auto"` chose Pagefind's chunked index.
    SearchChunked = "search-chunked", Info, Book,
        "search is Pagefind's chunked index, which readers search over HTTP",
        "mdBook's search is one script holding every word of the book; it works from `file://` \
but every reader downloads all of it. vaultbook keeps it for books of up to 1,000 chapters, or an \
index of about 5 MB, unless it would pass about 64 MB; past that the book gets Pagefind's index, \
small files fetched as a search needs them, which a browser fetches only from a server \
(`vaultbook serve`, any static host). A book that wants mdBook's index anyway says so:

    [vaultbook]
    search = \"mdbook\"";

    /// A chapter of an mdBook that `vaultbook preprocessor` leaves as mdBook gave it.
    SkippedChapter = "skipped-chapter", Warning, Book,
        "a chapter the preprocessor cannot take as a note, left as mdBook gave it",
        "Under `vaultbook preprocessor` every chapter of the book's SUMMARY.md is a note, named \
by its file under `src/`. A chapter whose file lies outside `src/` (or is absolute), or that \
another chapter already lists, has no single place in the vault: it is handed back to mdBook \
unchanged, its wikilinks unresolved, and links from other chapters cannot reach it.

    - [Shared](../shared/notes.md)

Move the file into `src/` (or give the second chapter a file of its own).";

    /// A template that failed to render.
    TemplateError = "template-error", Error, Book,
        "a template in templates/ that does not render",
        "A template of the book's `templates/` folder (`snippet.html`) has a syntax error or uses \
a variable that does not exist, so the part of the page it renders is left out.

    templates/snippet.html:  {% for o in outputt %}

Fix the template (`{% for o in outputs %}`), or delete it to use the built-in one.";

    // ---- html ----
    /// A link in the rendered HTML to a file that does not exist.
    BrokenHtmlLink = "broken-html-link", Error, Html,
        "a link in the rendered HTML to a file that does not exist",
        "With `check --html`, an `href` or `src` of a rendered page leads to a file the built \
book does not have (often a link written in raw HTML, or a theme file).

    <a href=\"../guide/setup.html\">setup</a>

in a note, with no `guide/setup.html` in the book. Use a wikilink (`[[Setup]]`), which \
vaultbook resolves and rewrites, or fix the path.";

    /// A link in the rendered HTML to an element id that its page lacks.
    MissingHtmlAnchor = "missing-html-anchor", Error, Html,
        "a link in the rendered HTML to an element id that its page does not have",
        "With `check --html`, a link's `#fragment` names no element id of the page it leads to.

    <a href=\"mutex.html#poisoning\">poisoning</a>

where the heading on `mutex.html` has the id `lock-poisoning`. Link with a wikilink \
(`[[Mutex#Lock poisoning]]`), or fix the id.";

    // ---- internal ----
    /// vaultbook failed on a note (a bug).
    InternalError = "internal-error", Error, Internal,
        "vaultbook failed on a note (a bug); the note is left out",
        "vaultbook itself failed while reading or parsing this note. The note is left out of the \
book and the rest is built. This is a bug in vaultbook, not in your note.

    vault/Strange.md: error[internal-error]: vaultbook failed on this note (a bug)

Please report it with the note attached. Until it is fixed, list the note in \
`[vaultbook] ignore`.";
}

impl Code {
    /// The same as [`Code::name`].
    pub const fn as_str(self) -> &'static str {
        self.name()
    }

    /// The code named `name`, if there is one.
    ///
    /// ```
    /// use vaultbook::Code;
    /// assert_eq!(Code::from_name("broken-link"), Some(Code::BrokenLink));
    /// assert_eq!(Code::from_name("brokenlink"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.name() == name)
    }

    /// The codes of `group`, in listing order.
    pub fn in_group(group: Group) -> impl Iterator<Item = Code> {
        Code::ALL
            .iter()
            .copied()
            .filter(move |c| c.group() == group)
    }

    /// The closest code names to an unknown `name`, best first (for "did you mean").
    pub fn suggest(name: &str) -> Vec<&'static str> {
        crate::suggest::closest(name, Code::ALL.iter().map(|c| c.name()), 1)
    }
}

/// A name that is no diagnostic code, with the closest one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode {
    /// The name as given.
    pub name: String,
    /// The closest code, when one is close.
    pub suggestion: Option<Code>,
}

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown diagnostic code `{}`", self.name)?;
        if let Some(s) = self.suggestion {
            write!(f, " (did you mean `{s}`?)")?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownCode {}

impl FromStr for Code {
    type Err = UnknownCode;

    fn from_str(name: &str) -> Result<Code, UnknownCode> {
        Code::from_name(name).ok_or_else(|| UnknownCode {
            name: name.to_string(),
            suggestion: Code::suggest(name).first().and_then(|n| Code::from_name(n)),
        })
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl PartialEq<str> for Code {
    fn eq(&self, other: &str) -> bool {
        self.name() == other
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

/// The lines of `vaultbook check --list-codes`: one per code, `name  severity  group  summary`,
/// in aligned columns, grouped.
pub fn list() -> String {
    let width = Code::ALL.iter().map(|c| c.name().len()).max().unwrap_or(0);
    let mut out = String::new();
    for &code in Code::ALL {
        out.push_str(&format!(
            "{:width$}  {:7}  {:8}  {}\n",
            code.name(),
            code.default_severity().as_str(),
            code.group().name(),
            code.summary(),
        ));
    }
    out
}

/// What `vaultbook explain CODE` prints: a header line, then the explanation.
pub fn explain(code: Code) -> String {
    format!(
        "{} ({} by default, group {}): {}\n\n{}\n",
        code.name(),
        code.default_severity().as_str(),
        code.group().name(),
        code.summary(),
        code.explanation().trim_end(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;
    use std::path::Path;

    #[test]
    fn names_are_unique_kebab_case_round_trip_and_are_explained() {
        let mut seen = HashSet::new();
        for &code in Code::ALL {
            let name = code.name();
            assert!(seen.insert(name), "{name} twice");
            assert!(
                !name.is_empty()
                    && !name.starts_with('-')
                    && !name.ends_with('-')
                    && !name.contains("--")
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name} is not kebab-case"
            );
            assert_eq!(Code::from_name(name), Some(code));
            assert_eq!(name.parse::<Code>(), Ok(code));
            assert_eq!(code.to_string(), name);
            assert!(!code.summary().is_empty(), "{name}");
            assert!(!code.summary().contains('\n'), "{name}: one-line summary");
            let explanation = code.explanation();
            assert!(explanation.len() > 80, "{name}: explain it");
            assert!(
                explanation.lines().any(|l| l.starts_with("    ")),
                "{name}: an indented example"
            );
        }
        // Every variant is in ALL (a variant left out would be matched but never listed).
        assert_eq!(seen.len(), Code::ALL.len());
        for &group in Group::ALL {
            assert!(Code::in_group(group).next().is_some(), "{group} is empty");
        }
    }

    #[test]
    fn unknown_names_suggest_the_closest() {
        let err = "snippet-unexpected-succes".parse::<Code>().unwrap_err();
        assert_eq!(err.suggestion, Some(Code::SnippetUnexpectedSuccess));
        assert!(
            err.to_string()
                .contains("did you mean `snippet-unexpected-success`?"),
            "{err}"
        );
        assert_eq!("zzz".parse::<Code>().unwrap_err().suggestion, None);
    }

    /// Every `.rs` file under `dir`, recursively.
    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    /// `text` without its `#[cfg(test)]` module, so a code named only by a test does not count.
    fn without_tests(text: &str) -> &str {
        text.split("#[cfg(test)]").next().unwrap_or(text)
    }

    #[test]
    fn every_code_is_emitted_outside_the_registry() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let registry = src.join("codes.rs");
        let mut text = String::new();
        for f in files.iter().filter(|f| **f != registry) {
            let source = std::fs::read_to_string(f).unwrap();
            // Code only: a doc example or a comment naming a code emits nothing.
            for line in without_tests(&source).lines() {
                if !line.trim_start().starts_with("//") {
                    text.push_str(line);
                    text.push('\n');
                }
            }
        }
        let never: Vec<&str> = Code::ALL
            .iter()
            .filter(|c| {
                let variant = format!("Code::{c:?}");
                // A match on `Code::BrokenLink` in a printer is not an emission; a use is
                // anything but the variant followed by more identifier characters.
                !text.match_indices(&variant).any(|(i, m)| {
                    !text[i + m.len()..]
                        .chars()
                        .next()
                        .is_some_and(|ch| ch.is_alphanumeric() || ch == '_')
                })
            })
            .map(|c| c.name())
            .collect();
        assert!(
            never.is_empty(),
            "registered but never emitted in src/: {never:?}"
        );
    }

    #[test]
    fn list_has_a_line_per_code() {
        let list = list();
        assert_eq!(list.lines().count(), Code::ALL.len());
        assert!(list.lines().any(|l| l.starts_with("orphan-note ")
            && l.contains(" info ")
            && l.contains(" notes ")));
        assert!(
            explain(Code::EmbedDepth).starts_with("embed-depth (error by default, group embeds): ")
        );
    }
}
