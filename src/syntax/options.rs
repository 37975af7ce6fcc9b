//! The pulldown-cmark options: the ones mdBook 0.5 renders with, so that what we see in a note is
//! what mdBook will see in the emitted chapter.

use pulldown_cmark::Options;

/// The markdown extensions mdBook's HTML renderer has switched on (from `[output.html]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MdbookMarkdown {
    /// `smart-punctuation` (default on): quotes and dashes change, and so do heading ids.
    pub smart_punctuation: bool,
    /// `definition-lists` (default on): `dt` elements get ids too.
    pub definition_lists: bool,
    /// `admonitions` (default on): GFM `> [!NOTE]` blocks.
    pub admonitions: bool,
}

impl Default for MdbookMarkdown {
    fn default() -> Self {
        MdbookMarkdown {
            smart_punctuation: true,
            definition_lists: true,
            admonitions: true,
        }
    }
}

impl MdbookMarkdown {
    /// Reads the three switches from the `[output.html]` table of book.toml, if present.
    pub fn from_book_toml(table: &toml::Table) -> MdbookMarkdown {
        let html = table.get("output").and_then(|o| o.get("html"));
        let flag = |key: &str| html.and_then(|h| h.get(key)).and_then(|v| v.as_bool());
        let d = MdbookMarkdown::default();
        MdbookMarkdown {
            smart_punctuation: flag("smart-punctuation").unwrap_or(d.smart_punctuation),
            definition_lists: flag("definition-lists").unwrap_or(d.definition_lists),
            admonitions: flag("admonitions").unwrap_or(d.admonitions),
        }
    }

    /// Exactly mdBook's parser options (mdbook-markdown's `new_cmark_parser`).
    pub fn options(self) -> Options {
        let mut o = Options::ENABLE_TABLES
            | Options::ENABLE_FOOTNOTES
            | Options::ENABLE_STRIKETHROUGH
            | Options::ENABLE_TASKLISTS
            | Options::ENABLE_HEADING_ATTRIBUTES;
        if self.smart_punctuation {
            o |= Options::ENABLE_SMART_PUNCTUATION;
        }
        if self.definition_lists {
            o |= Options::ENABLE_DEFINITION_LIST;
        }
        if self.admonitions {
            o |= Options::ENABLE_GFM;
        }
        o
    }

    /// mdBook's options plus wikilinks and `$math$`: how vaultbook reads a note. Math is
    /// typeset to MathML before mdBook sees the chapter.
    pub fn note_options(self) -> Options {
        self.options() | Options::ENABLE_WIKILINKS | Options::ENABLE_MATH
    }
}
