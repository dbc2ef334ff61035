//! The Netscape bookmark file format (`<!DOCTYPE NETSCAPE-Bookmark-file-1>`) that browsers,
//! linkding, Shaarli and Pinboard read and write: a parser and a renderer, with no I/O.
//!
//! The format is a de-facto one: a `<DL>` list of `<DT><A HREF=…>title</A>` entries, each
//! optionally followed by `<DD>description`, with folders as `<DT><H3>name</H3>` followed by a
//! nested `<DL>`. The parser is a small tokenizer rather than a full HTML parser: it accepts
//! what the common producers write (any case, quoted or bare attributes, missing `</DT>`/`<p>`,
//! markup inside titles and descriptions, which is dropped) and refuses what would silently
//! lose bookmarks: a file without any `<DL>` list, an unbalanced `</DL>`, a file that ends
//! inside a tag, comment or folder (a truncated download).
//!
//! Folders are *not* tags: every bookmark carries its folder path in [`Bookmark::folders`],
//! and the importer turns it into tags only when asked (`folder_tags`). Pinboard, linkding and
//! Shaarli ignore folders and browsers' files put everything under "Bookmarks bar"-like
//! folders, which as tags would only be noise.

use std::fmt::Write as _;

use crate::model::Micros;

/// One `<A>` entry of a bookmark file, as written there (nothing is validated yet).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bookmark {
    /// 1-based line of the `<A` tag, for error reports.
    pub line: usize,
    /// The `HREF` attribute, entity-decoded and trimmed; `None` when absent.
    pub href: Option<String>,
    /// The link text; `None` when empty.
    pub title: Option<String>,
    /// The text of a `<DD>` right after the entry; `None` when absent or empty.
    pub description: Option<String>,
    /// `TAGS`, split at commas, trimmed, empty ones dropped, duplicates (by case) dropped.
    pub tags: Vec<String>,
    /// `ADD_DATE` in microseconds since the epoch.
    pub add_date: Option<Micros>,
    /// `LAST_MODIFIED` in microseconds since the epoch.
    pub last_modified: Option<Micros>,
    /// Names of the enclosing `<H3>` folders, outermost first.
    pub folders: Vec<String>,
    /// `TOREAD="1"`: marked to read later.
    pub toread: bool,
}

/// Why a file is not a bookmark file we can read safely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

/// Read a bookmark file. Entries without a usable `HREF` are returned too (with `href`
/// `None` or as written) so that the importer can report them by line.
pub fn parse(src: &str) -> Result<Vec<Bookmark>, ParseError> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let lines = LineIndex::new(src);
    let err = |at: usize, message: String| ParseError {
        line: lines.line(at),
        message,
    };
    let mut lexer = Lexer { src, pos: 0 };
    let mut out: Vec<Bookmark> = Vec::new();
    // One entry per open <DL>: the folder it is the content of, if any.
    let mut lists: Vec<Option<String>> = Vec::new();
    let mut seen_list = false;
    // An <H3> whose <DL> has not started yet.
    let mut pending_folder: Option<String> = None;
    // The entry a following <DD> describes.
    let mut describable: Option<usize> = None;
    let mut mode = Mode::Outside;

    while let Some(token) = lexer.next().map_err(|(at, m)| err(at, m))? {
        match token {
            Token::Text(text) => mode.push(text),
            Token::Start { name, attrs, at } => {
                if !is_structural(&name) {
                    if name == "br" {
                        mode.push("\n");
                    }
                    continue;
                }
                mode.finish(&mut out, &mut pending_folder);
                match name.as_str() {
                    "a" => {
                        pending_folder = None;
                        out.push(bookmark(&attrs, lines.line(at), &lists));
                        describable = Some(out.len() - 1);
                        mode = Mode::Title(out.len() - 1, String::new());
                    }
                    "h3" => {
                        describable = None;
                        mode = Mode::Folder(String::new());
                    }
                    "dd" => {
                        mode = match describable.take() {
                            Some(index) => Mode::Description(index, String::new()),
                            None => Mode::Outside,
                        };
                    }
                    "dl" => {
                        describable = None;
                        seen_list = true;
                        lists.push(pending_folder.take());
                    }
                    _ => {
                        describable = None;
                        if name == "dt" {
                            pending_folder = None;
                        }
                    }
                }
            }
            Token::End { name, at } => match name.as_str() {
                "a" | "h3" | "dd" | "dt" => mode.finish(&mut out, &mut pending_folder),
                "dl" => {
                    mode.finish(&mut out, &mut pending_folder);
                    describable = None;
                    pending_folder = None;
                    if lists.pop().is_none() {
                        return Err(err(at, "</DL> closes a list that was never opened".into()));
                    }
                }
                _ => {}
            },
        }
    }
    mode.finish(&mut out, &mut pending_folder);
    if !seen_list {
        return Err(ParseError {
            line: 1,
            message: "not a Netscape bookmark file: it has no <DL> list of bookmarks".into(),
        });
    }
    if !lists.is_empty() {
        return Err(err(
            src.len(),
            format!(
                "the file ends inside {} open <DL> list(s): it looks truncated",
                lists.len()
            ),
        ));
    }
    Ok(out)
}

/// What the text currently read belongs to.
enum Mode {
    Outside,
    Title(usize, String),
    Folder(String),
    Description(usize, String),
}

impl Mode {
    fn push(&mut self, text: &str) {
        match self {
            Mode::Outside => {}
            Mode::Title(_, buf) | Mode::Folder(buf) | Mode::Description(_, buf) => {
                buf.push_str(text)
            }
        }
    }

    fn finish(&mut self, out: &mut [Bookmark], pending_folder: &mut Option<String>) {
        match std::mem::replace(self, Mode::Outside) {
            Mode::Outside => {}
            Mode::Title(index, buf) => out[index].title = text_value(&buf),
            Mode::Description(index, buf) => out[index].description = text_value(&buf),
            Mode::Folder(buf) => *pending_folder = text_value(&buf),
        }
    }
}

/// Tags that end a title or description; any other markup inside them is dropped.
fn is_structural(name: &str) -> bool {
    matches!(
        name,
        "a" | "dt"
            | "dd"
            | "dl"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "hr"
            | "title"
            | "meta"
            | "html"
            | "head"
            | "body"
    )
}

fn bookmark(attrs: &[(String, &str)], line: usize, lists: &[Option<String>]) -> Bookmark {
    let attr = |name: &str| {
        attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| decode(v))
    };
    let mut tags: Vec<String> = Vec::new();
    if let Some(raw) = attr("tags") {
        for tag in raw.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            let key = tag.to_lowercase();
            if !tags.iter().any(|t| t.to_lowercase() == key) {
                tags.push(tag.to_owned());
            }
        }
    }
    Bookmark {
        line,
        href: attr("href").map(|h| h.trim().to_owned()),
        title: None,
        description: None,
        tags,
        add_date: attr("add_date").and_then(|v| timestamp(&v)),
        last_modified: attr("last_modified").and_then(|v| timestamp(&v)),
        folders: lists.iter().flatten().cloned().collect(),
        toread: attr("toread").is_some_and(|v| v.trim() == "1"),
    }
}

fn decode(raw: &str) -> String {
    html_escape::decode_html_entities(raw).into_owned()
}

fn text_value(raw: &str) -> Option<String> {
    let text = decode(raw);
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Latest time accepted: 9999-12-31T23:59:59Z.
const MAX_SECONDS: i64 = 253_402_300_799;

/// `ADD_DATE`/`LAST_MODIFIED`: Unix seconds by the format, but some producers write
/// milliseconds or microseconds; a value too large to be seconds is read as those. Zero,
/// negative or unreadable values count as absent.
fn timestamp(raw: &str) -> Option<Micros> {
    let raw = raw.trim();
    let value: i64 = match raw.parse::<i64>() {
        Ok(v) => v,
        Err(_) => {
            let f = raw.parse::<f64>().ok().filter(|f| f.is_finite())?;
            return (f > 0.0 && f <= MAX_SECONDS as f64).then(|| (f * 1e6).round() as Micros);
        }
    };
    if value <= 0 {
        return None;
    }
    if value <= MAX_SECONDS {
        Some(value * 1_000_000)
    } else if value <= MAX_SECONDS * 1000 {
        Some(value * 1000)
    } else if value <= MAX_SECONDS * 1_000_000 {
        Some(value)
    } else {
        None
    }
}

// ---- tokenizer ------------------------------------------------------------------------------

enum Token<'a> {
    Text(&'a str),
    /// A start tag: lower-cased name, attributes (lower-cased names, raw values), offset.
    Start {
        name: String,
        attrs: Vec<(String, &'a str)>,
        at: usize,
    },
    End {
        name: String,
        at: usize,
    },
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

type LexError = (usize, String);

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    /// Does a tag, end tag, comment or declaration start at byte `i`?
    fn markup_at(&self, i: usize) -> bool {
        let bytes = self.src.as_bytes();
        bytes[i] == b'<'
            && bytes
                .get(i + 1)
                .is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'/' | b'!' | b'?'))
    }

    fn next(&mut self) -> Result<Option<Token<'a>>, LexError> {
        loop {
            if self.pos >= self.src.len() {
                return Ok(None);
            }
            let start = self.pos;
            if !self.markup_at(start) {
                // `start` is not markup, though it may be a bare '<'.
                let mut search = start;
                let end = loop {
                    match self.src[search..].find('<') {
                        None => break self.src.len(),
                        Some(offset) => {
                            let i = search + offset;
                            if i != start && self.markup_at(i) {
                                break i;
                            }
                            search = i + 1;
                        }
                    }
                };
                self.pos = end;
                return Ok(Some(Token::Text(&self.src[start..end])));
            }
            let rest = self.rest();
            if let Some(body) = rest.strip_prefix("<!--") {
                let Some(close) = body.find("-->") else {
                    return Err((start, "a comment (<!--) is never closed".into()));
                };
                self.pos = start + 4 + close + 3;
                continue;
            }
            if rest.starts_with("<!") || rest.starts_with("<?") {
                let Some(close) = rest.find('>') else {
                    return Err((start, "a declaration (<!…) is never closed".into()));
                };
                self.pos = start + close + 1;
                continue;
            }
            if let Some(body) = rest.strip_prefix("</") {
                let name = tag_name(body);
                let Some(close) = body.find('>') else {
                    return Err((start, format!("the end tag </{name}> is never closed")));
                };
                self.pos = start + 2 + close + 1;
                if name.is_empty() {
                    continue;
                }
                return Ok(Some(Token::End {
                    name: name.to_ascii_lowercase(),
                    at: start,
                }));
            }
            return self.start_tag(start).map(Some);
        }
    }

    fn start_tag(&mut self, start: usize) -> Result<Token<'a>, LexError> {
        let src = self.src;
        let name = tag_name(&src[start + 1..]);
        let unclosed = || (start, format!("the tag <{name}> is never closed"));
        let mut i = start + 1 + name.len();
        let mut attrs = Vec::new();
        let bytes = src.as_bytes();
        loop {
            while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b'/') {
                i += 1;
            }
            match bytes.get(i) {
                None => return Err(unclosed()),
                Some(b'>') => {
                    self.pos = i + 1;
                    return Ok(Token::Start {
                        name: name.to_ascii_lowercase(),
                        attrs,
                        at: start,
                    });
                }
                Some(_) => {}
            }
            let name_start = i;
            while i < bytes.len()
                && !bytes[i].is_ascii_whitespace()
                && !matches!(bytes[i], b'=' | b'>' | b'/')
            {
                i += 1;
            }
            let attr_name = src[name_start..i].to_ascii_lowercase();
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            if bytes.get(i) != Some(&b'=') {
                attrs.push((attr_name, ""));
                continue;
            }
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let value = match bytes.get(i) {
                None => return Err(unclosed()),
                Some(&quote @ (b'"' | b'\'')) => {
                    let Some(len) = src[i + 1..].find(quote as char) else {
                        return Err((
                            start,
                            format!(
                                "the value of {} in <{name}> has no closing quote",
                                attr_name.to_ascii_uppercase()
                            ),
                        ));
                    };
                    let value = &src[i + 1..i + 1 + len];
                    i += len + 2;
                    value
                }
                Some(_) => {
                    let value_start = i;
                    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && bytes[i] != b'>' {
                        i += 1;
                    }
                    &src[value_start..i]
                }
            };
            attrs.push((attr_name, value));
        }
    }
}

/// The name at the start of `s`: ASCII letters and digits.
fn tag_name(s: &str) -> &str {
    let end = s
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(s.len());
    &s[..end]
}

/// Byte offset → 1-based line number.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(src: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(src.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn line(&self, at: usize) -> usize {
        self.starts.partition_point(|&s| s <= at)
    }
}

// ---- renderer -------------------------------------------------------------------------------

/// One link to write.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    pub url: &'a str,
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub tags: &'a [String],
    pub created_at: Micros,
    pub updated_at: Option<Micros>,
    /// Written as `TOREAD="1"`.
    pub unread: bool,
}

/// A bookmark file of `entries`, flat (no folders), in the form browsers write. Times are
/// whole seconds, as the format has them; a link without a title gets empty link text, so that
/// reading the file back gives no title rather than the URL as one. Tags are joined with
/// commas, so a tag name that contains a comma comes back as several tags.
pub fn render<'a>(entries: impl IntoIterator<Item = Entry<'a>>) -> String {
    let mut out = String::from(
        "<!DOCTYPE NETSCAPE-Bookmark-file-1>\n\
         <!-- This is an automatically generated file.\n     \
         It will be read and overwritten.\n     \
         DO NOT EDIT! -->\n\
         <META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=UTF-8\">\n\
         <TITLE>Bookmarks</TITLE>\n\
         <H1>Bookmarks</H1>\n\
         <DL><p>\n",
    );
    for entry in entries {
        let _ = write!(
            out,
            "    <DT><A HREF=\"{}\" ADD_DATE=\"{}\"",
            escape(entry.url, true),
            entry.created_at.div_euclid(1_000_000)
        );
        if let Some(updated) = entry.updated_at {
            let _ = write!(out, " LAST_MODIFIED=\"{}\"", updated.div_euclid(1_000_000));
        }
        if entry.unread {
            out.push_str(" TOREAD=\"1\"");
        }
        if !entry.tags.is_empty() {
            let _ = write!(out, " TAGS=\"{}\"", escape(&entry.tags.join(","), true));
        }
        let _ = writeln!(out, ">{}</A>", escape(entry.title.unwrap_or(""), false));
        if let Some(description) = entry.description.filter(|d| !d.is_empty()) {
            let _ = writeln!(out, "    <DD>{}", escape(description, false));
        }
    }
    out.push_str("</DL><p>\n");
    out
}

/// Escape text for HTML content, or for a double-quoted attribute value.
fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Micros = 1_000_000;

    /// A file as Firefox/Chrome write it, with what linkding and Pinboard add.
    const BROWSER_FILE: &str = r#"<!DOCTYPE NETSCAPE-Bookmark-file-1>
<!-- This is an automatically generated file.
     It will be read and overwritten.
     DO NOT EDIT! -->
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<TITLE>Bookmarks</TITLE>
<H1>Bookmarks Menu</H1>

<DL><p>
    <DT><H3 ADD_DATE="1500000000" LAST_MODIFIED="1500000001" PERSONAL_TOOLBAR_FOLDER="true">Bookmarks bar</H3>
    <DL><p>
        <DT><A HREF="https://www.rust-lang.org/" ADD_DATE="1600000000" LAST_MODIFIED="1600000100" ICON="data:image/png;base64,iVBORw0KGgo=" TAGS="Rust,programming languages">Rust &amp; Cargo</A>
        <DD>A language empowering everyone
to build reliable &lt;software&gt;.
        <DT><H3 ADD_DATE="1500000000">Café &quot;Reading&quot;</H3>
        <DL><p>
            <DT><A HREF="https://example.org/a?b=1&amp;c=2" ADD_DATE="1650000000" PRIVATE="1" TOREAD="1">日本語のタイトル — naïve</A>
        </DL><p>
    </DL><p>
    <DT><A HREF="https://example.com/" ADD_DATE="1700000000000">Milliseconds</A>
    <DT><a href='https://example.net/' add_date=1700000000 tags="x, ,X, y z">lower <b>case</b></a>
</DL><p>
"#;

    #[test]
    fn reads_a_browser_file() {
        let marks = parse(BROWSER_FILE).unwrap();
        assert_eq!(marks.len(), 4);

        let rust = &marks[0];
        assert_eq!(rust.href.as_deref(), Some("https://www.rust-lang.org/"));
        assert_eq!(rust.title.as_deref(), Some("Rust & Cargo"));
        assert_eq!(
            rust.description.as_deref(),
            Some("A language empowering everyone\nto build reliable <software>.")
        );
        assert_eq!(rust.tags, vec!["Rust", "programming languages"]);
        assert_eq!(rust.add_date, Some(1_600_000_000 * SECOND));
        assert_eq!(rust.last_modified, Some(1_600_000_100 * SECOND));
        assert_eq!(rust.folders, vec!["Bookmarks bar"]);
        assert_eq!(rust.line, 12);

        let nested = &marks[1];
        assert_eq!(
            nested.href.as_deref(),
            Some("https://example.org/a?b=1&c=2")
        );
        assert_eq!(nested.title.as_deref(), Some("日本語のタイトル — naïve"));
        assert_eq!(nested.description, None);
        assert!(nested.tags.is_empty());
        assert_eq!(nested.folders, vec!["Bookmarks bar", "Café \"Reading\""]);

        let millis = &marks[2];
        assert_eq!(millis.add_date, Some(1_700_000_000 * SECOND));
        assert!(millis.folders.is_empty(), "{:?}", millis.folders);

        let lower = &marks[3];
        assert_eq!(lower.href.as_deref(), Some("https://example.net/"));
        assert_eq!(lower.title.as_deref(), Some("lower case"));
        assert_eq!(lower.add_date, Some(1_700_000_000 * SECOND));
        assert_eq!(
            lower.tags,
            vec!["x", "y z"],
            "empty and repeated tags dropped"
        );
    }

    #[test]
    fn a_description_belongs_to_the_entry_before_it_only() {
        let marks = parse(
            "<DL><DT><H3>Folder</H3><DD>about the folder<DL>\
             <DT><A HREF=\"https://a.example/\">A</A><DD>about A</DD>\
             <DT><A HREF=\"https://b.example/\">B</A>\
             </DL><DD>stray</DL>",
        )
        .unwrap();
        assert_eq!(marks.len(), 2);
        assert_eq!(marks[0].description.as_deref(), Some("about A"));
        assert_eq!(marks[0].folders, vec!["Folder"]);
        assert_eq!(marks[1].description, None);
    }

    #[test]
    fn entities_of_every_kind() {
        let marks = parse(
            "<DL><DT><A HREF=\"https://e.example/?q=&quot;x&quot;\">&eacute;t&eacute; &#233; &#xE9; &hellip; &nbsp;&unknown; 5 &lt; 6 &amp;amp;</A></DL>",
        )
        .unwrap();
        assert_eq!(marks[0].href.as_deref(), Some("https://e.example/?q=\"x\""));
        assert_eq!(
            marks[0].title.as_deref(),
            Some("été é é … \u{a0}&unknown; 5 < 6 &amp;")
        );
    }

    #[test]
    fn lenient_with_what_producers_write() {
        // No doctype, no <p>, no </A>, a bare "<" in text, a <br> in a description, a BOM.
        let marks = parse(
            "\u{feff}<dl>\n<dt><A HREF=https://a.example/ ADD_DATE=\"not a date\">a < b\n<dd>one<br>two\n<DT><A>no href</A>\n<DT><A HREF=\"\">empty</A>\n</dl>",
        )
        .unwrap();
        assert_eq!(marks.len(), 3);
        assert_eq!(marks[0].href.as_deref(), Some("https://a.example/"));
        assert_eq!(marks[0].title.as_deref(), Some("a < b"));
        assert_eq!(marks[0].add_date, None);
        assert_eq!(marks[0].description.as_deref(), Some("one\ntwo"));
        assert_eq!(marks[1].href, None);
        assert_eq!(marks[1].line, 4);
        assert_eq!(marks[2].href.as_deref(), Some(""));
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp("1"), Some(SECOND));
        assert_eq!(timestamp(" 1600000000 "), Some(1_600_000_000 * SECOND));
        assert_eq!(timestamp("1600000000123"), Some(1_600_000_000_123_000));
        assert_eq!(timestamp("1600000000123456"), Some(1_600_000_000_123_456));
        assert_eq!(
            timestamp("1600000000.5"),
            Some(1_600_000_000 * SECOND + 500_000)
        );
        for absent in ["", "0", "-5", "soon", "99999999999999999999", "NaN", "inf"] {
            assert_eq!(timestamp(absent), None, "{absent}");
        }
    }

    #[test]
    fn malformed_files_are_refused_with_a_line() {
        let cases = [
            ("", 1, "no <DL> list"),
            ("{\"links\": []}", 1, "no <DL> list"),
            (
                "<html><body><a href=\"https://a.example/\">x</a></body></html>",
                1,
                "no <DL> list",
            ),
            (
                "<DL>\n<DT><A HREF=\"https://a.example/\">A</A>\n<DT><A HREF=\"https://b.ex",
                3,
                "closing quote",
            ),
            (
                "<DL>\n<DT><A HREF=\"https://a.example/\">A</A>\n<DT><A HREF=https://b.ex",
                3,
                "never closed",
            ),
            (
                "<DL>\n<DT><A HREF=\"https://a.example/\">A</A>\n",
                3,
                "truncated",
            ),
            ("<DL>\n</DL>\n</DL>", 3, "never opened"),
            ("<DL>\n<!-- unfinished\n</DL>", 2, "comment"),
            (
                "<DL>\n<DT><A HREF='https://a.example/>A</A></DL>",
                2,
                "closing quote",
            ),
            ("<DL>\n</DL", 2, "never closed"),
        ];
        for (src, line, message) in cases {
            let err = parse(src).unwrap_err();
            assert_eq!(err.line, line, "{src:?}: {err}");
            assert!(err.message.contains(message), "{src:?}: {err}");
        }
    }

    #[test]
    fn renders_what_it_reads_back() {
        let tags = vec!["Rust".to_owned(), "two words".to_owned(), "ü".to_owned()];
        let none: Vec<String> = Vec::new();
        let entries = [
            Entry {
                url: "https://example.org/?a=1&b=\"2\"",
                title: Some("Fish & <Chips> \"quoted\" — ☕"),
                description: Some("line one\nline <two> & three"),
                tags: &tags,
                created_at: 1_600_000_000 * SECOND + 999_999,
                updated_at: Some(1_600_000_500 * SECOND),
                unread: true,
            },
            Entry {
                url: "https://example.com/",
                title: None,
                description: None,
                tags: &none,
                created_at: 5 * SECOND,
                updated_at: None,
                unread: false,
            },
        ];
        let html = render(entries);
        assert!(html.starts_with("<!DOCTYPE NETSCAPE-Bookmark-file-1>\n"));
        assert!(html.contains(
            "<DT><A HREF=\"https://example.org/?a=1&amp;b=&quot;2&quot;\" ADD_DATE=\"1600000000\" \
             LAST_MODIFIED=\"1600000500\" TOREAD=\"1\" TAGS=\"Rust,two words,ü\">Fish &amp; &lt;Chips&gt; \"quoted\" — ☕</A>"
        ), "{html}");
        let back = parse(&html).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(back[0].href.as_deref(), Some(entries[0].url));
        assert_eq!(back[0].title.as_deref(), entries[0].title);
        assert_eq!(back[0].description.as_deref(), entries[0].description);
        assert_eq!(back[0].tags, tags);
        assert_eq!(back[0].add_date, Some(1_600_000_000 * SECOND));
        assert_eq!(back[0].last_modified, Some(1_600_000_500 * SECOND));
        assert_eq!(back[1].title, None);
        assert_eq!(back[1].description, None);
        assert!(back[1].tags.is_empty());
        assert_eq!(back[1].add_date, Some(5 * SECOND));
        assert_eq!(back[1].last_modified, None);
        assert!(back[0].toread && !back[1].toread);
    }

    #[test]
    fn an_empty_list_is_a_valid_empty_file() {
        assert_eq!(parse(&render([])).unwrap(), Vec::<Bookmark>::new());
    }
}
