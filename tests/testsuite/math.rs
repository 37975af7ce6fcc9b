//! `$math$` typeset to MathML at build time: no script, nothing from the network, the same from
//! `file://`; a formula that cannot be typeset is a diagnostic at its span and shows its source.

use crate::harness::{BookTest, assert_links_reach_ids, code, diags_with};

fn book() -> BookTest {
    BookTest::new()
        .file("book.toml", "[book]\ntitle = \"Math\"\n")
        .vault_files([
            (
                "Home.md",
                "# Home\n\nEuler: $e^{i\\pi} + 1 = 0$, and\n\n$$\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$$\n\n\
                 ## The area $\\pi r^2$\n\nBroken: $x^$ here.\n\n![[Other#Section]]\n",
            ),
            ("Other.md", "# Other\n\n## Section\n\nEmbedded $x_2$.\n"),
        ])
}

#[test]
fn formulas_are_mathml_and_no_page_loads_a_script_from_the_network() {
    let book = book();
    let report = book.build();
    let main = book.main_of("home.html");
    assert!(main.contains("<math>") || main.contains("<math "), "{main}");
    assert!(main.contains("<msup>"), "{main}");
    assert!(main.contains(r#"<math display="block">"#), "{main}");
    assert!(main.contains("<mfrac>"));
    assert!(
        main.contains(r#"<annotation encoding="application/x-tex">e^{i\pi} + 1 = 0</annotation>"#),
        "the source stays as the annotation: {main}"
    );
    // The heading with math still has an id that its links reach, and embeds bring math along.
    assert!(main.contains("<msub>"), "the embedded section's formula");
    assert_links_reach_ids(&book.join("book"));
    for (path, html) in book.pages() {
        assert!(!html.contains("MathJax"), "{}", path.display());
        for tag in html.split("<script").skip(1) {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            assert!(
                !tag.contains("http:") && !tag.contains("https:") && !tag.contains("//"),
                "{}: <script{tag}>",
                path.display()
            );
        }
    }
    // The stylesheet and its math font are shipped, and found from where the stylesheet is.
    let page = book.page("home.html");
    assert!(
        page.contains("vaultbook-math"),
        "the math stylesheet is linked"
    );
    assert!(
        book.join("book/vaultbook-math/latinmodern-math.woff2")
            .is_file()
    );
    let _ = report;
}

#[test]
fn a_formula_that_cannot_be_typeset_is_reported_and_shown_as_source() {
    let book = book();
    let report = book.build();
    let found = diags_with(&report.diagnostics, "math-error", "vault/Home.md");
    assert_eq!(found.len(), 1, "{:#?}", report.diagnostics);
    let span = found[0].span.as_ref().unwrap();
    assert_eq!((span.line, span.column), (9, 9));
    assert!(report.diagnostics.iter().all(|d| code(d) != "unsafe-html"));
    let main = book.main_of("home.html");
    assert!(main.contains(r#"<code class="vb-math-error""#), "{main}");
    assert!(main.contains("$x^$"), "the source, as written: {main}");
    assert!(main.contains("here."), "the text after it stays");
}

#[test]
fn a_book_without_math_ships_nothing_for_it() {
    let book = BookTest::new()
        .file("book.toml", "[book]\ntitle = \"Plain\"\n")
        .vault_files([("Home.md", "# Home\n\nIt costs $5 and $6.\n")]);
    book.build();
    assert!(!book.join("book/vaultbook-math").exists());
}
