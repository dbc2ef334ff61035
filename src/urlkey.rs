//! The key under which two URLs count as "the same link" for the duplicate check: the URL
//! normalised (scheme and host regardless of case, the scheme's default port dropped, one
//! trailing slash of the path ignored), then hashed so that it fits an index on every engine.

use sha2::{Digest, Sha256};

/// `url` in the form the duplicate check compares. Query and fragment are kept as they are
/// (they often name a different page); a URL that does not parse is compared as it is.
pub fn normalize(url: &str) -> String {
    let url = url.trim();
    let Ok(parsed) = url::Url::parse(url) else {
        return url.to_owned();
    };
    let mut out = String::with_capacity(url.len());
    out.push_str(&parsed.scheme().to_ascii_lowercase());
    out.push(':');
    if let Some(host) = parsed.host_str() {
        out.push_str("//");
        if !parsed.username().is_empty() || parsed.password().is_some() {
            out.push_str(parsed.username());
            if let Some(password) = parsed.password() {
                out.push(':');
                out.push_str(password);
            }
            out.push('@');
        }
        out.push_str(&host.to_lowercase());
        // `port()` is None for the scheme's default port (http 80, https 443, ...).
        if let Some(port) = parsed.port() {
            out.push(':');
            out.push_str(&port.to_string());
        }
    }
    let path = parsed.path();
    out.push_str(path.strip_suffix('/').unwrap_or(path));
    if let Some(query) = parsed.query() {
        out.push('?');
        out.push_str(query);
    }
    if let Some(fragment) = parsed.fragment() {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// The hex SHA-256 of [`normalize`]`(url)`: what `links.url_key` holds.
pub fn url_key(url: &str) -> String {
    Sha256::digest(normalize(url).as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_link_written_differently_has_one_key() {
        let same = [
            "https://example.org/a",
            "HTTPS://Example.ORG/a",
            "https://example.org:443/a",
            "https://example.org/a/",
            " https://EXAMPLE.org:443/a/ ",
        ];
        for url in same {
            assert_eq!(normalize(url), "https://example.org/a", "{url}");
            assert_eq!(url_key(url), url_key(same[0]));
        }
        assert_eq!(normalize("http://example.org:80"), "http://example.org");
        assert_eq!(normalize("http://example.org/"), "http://example.org");
    }

    #[test]
    fn different_links_keep_different_keys() {
        let different = [
            "https://example.org/a",
            "http://example.org/a",
            "https://example.org:8443/a",
            "https://example.org/A",
            "https://example.org/a?x=1",
            "https://example.org/a#part",
            "https://www.example.org/a",
            "https://user@example.org/a",
            "https://example.org/a//",
        ];
        for (i, a) in different.iter().enumerate() {
            for b in &different[i + 1..] {
                assert_ne!(url_key(a), url_key(b), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn other_schemes_and_oddities() {
        assert_eq!(
            normalize("MAILTO:Ann@Example.org"),
            "mailto:Ann@Example.org"
        );
        assert_eq!(
            normalize("ftp://Files.Example:21/x/"),
            "ftp://files.example/x"
        );
        assert_eq!(normalize("foo://Host.Example/x/"), "foo://host.example/x");
        assert_eq!(normalize("not a url"), "not a url");
    }
}
