def edit(p, pairs):
    s=open(p).read()
    for a,b in pairs:
        assert s.count(a)==1,(p,a,s.count(a))
        s=s.replace(a,b)
    open(p,'w').write(s)
edit('src/lib.rs',[('''pub mod openapi;''','''pub mod openapi;
pub mod query;''')])
edit('src/store.rs',[
('''mod conn;
pub mod dedupe;''','''mod conn;
pub mod dedupe;
mod search;'''),
('''    /// Each of these words occurs, regardless of case, in the URL, title, description or notes.
    pub words: Vec<String>,''','''    /// Each of these words occurs, regardless of case, in the URL, title, description or notes.
    pub words: Vec<String>,
    /// A parsed `q` (see [`crate::query`]).
    pub query: crate::query::Query,'''),
('''            && self.words.is_empty()
            && self.url.is_none()''','''            && self.words.is_empty()
            && self.query.is_empty()
            && self.url.is_none()'''),
('''    for word in &filter.words {
        sql.push(" AND l.search_text LIKE ? ESCAPE '!'")''','''    search::push_query(sql, account, &filter.query);
    for word in &filter.words {
        sql.push(" AND l.search_text LIKE ? ESCAPE '!'")'''),
])
edit('src/api/links.rs',[
('''    let filter = LinkFilter {
        tag_id: q.tag_id,
        tags: q
            .tag
            .into_iter()
            .chain(q.tags.iter().flat_map(|t| t.split(',').map(str::to_owned)))
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
        words: q
            .q
            .iter()
            .flat_map(|q| q.split_whitespace().map(str::to_owned))
            .collect(),''','''    let mut query = q.q.as_deref().map(crate::query::parse).unwrap_or_default();
    // `#tag` alone in its clause is the same as `tags=tag` (which lists read from the tag's
    // index).
    let mut query_tags = Vec::new();
    query.clauses.retain(|clause| match clause {
        crate::query::Clause::AnyOf(terms) => match terms.as_slice() {
            [crate::query::Term::Tag(name)] => {
                query_tags.push(name.clone());
                false
            }
            _ => true,
        },
        crate::query::Clause::Not(_) => true,
    });
    let filter = LinkFilter {
        tag_id: q.tag_id,
        tags: q
            .tag
            .into_iter()
            .chain(q.tags.iter().flat_map(|t| t.split(',').map(str::to_owned)))
            .chain(query_tags)
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect(),
        words: Vec::new(),
        query,'''),
('''    /// Words that must all occur, regardless of case, in the URL, title, description or
    /// notes (at most 1000 characters).''','''    /// Search, at most 1000 characters: words that must all occur, regardless of case, in the
    /// URL, title, description or notes; `"exact phrase"`; `-word` (or `-"phrase"`, `-#tag`)
    /// to exclude; `#tag` for links carrying that tag; `OR` between two terms for either.''')
])
