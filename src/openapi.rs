//! The OpenAPI 3.1 document: every endpoint, with the OAuth2 password scheme and its scopes.

use utoipa::openapi::security::{
    Flow, HttpAuthScheme, HttpBuilder, OAuth2, Password, Scopes, SecurityRequirement,
    SecurityScheme,
};
use utoipa::openapi::server::Server;
use utoipa::OpenApi;

use crate::api::{
    accounts, bulk, duplicates, extract, links, sync, taglinks, tags, token, tokens, transfer,
};
use crate::auth::TokenResponse;
use crate::model::{Account, Link, Tag, TagLink, TagWithCount};

#[derive(OpenApi)]
#[openapi(
    info(title = "tagmark", description = "A multi-account bookmark service: links organised with tags."),
    paths(
        links::get_link, links::list_links, links::post_link, links::patch_link, links::delete_link,
        duplicates::check_link, bulk::bulk_edit, sync::get_sync,
        tags::get_tag, tags::list_tags, tags::post_tag, tags::patch_tag, tags::delete_tag,
        taglinks::list_taglinks, taglinks::post_taglink, taglinks::delete_taglinks,
        accounts::post_account, accounts::list_accounts, accounts::get_account, accounts::delete_account, accounts::patch_account,
        tokens::post_token, tokens::list_tokens, tokens::delete_token,
        token::post_token, crate::api::health,
        transfer::post_import, transfer::get_export,
    ),
    components(schemas(Link, Tag, TagLink, Account, TokenResponse, extract::ErrorDetail, extract::ValidationError,
        links::PostLink, links::PatchLink, links::LinkSort, tags::PostTag, tags::PatchTag, tags::TagList, TagWithCount, taglinks::PostTagLink, accounts::PostAccount, accounts::PatchAccount, token::LoginForm,
        links::OnDuplicate, duplicates::CheckAnswer, bulk::BulkEdit, bulk::BulkFlags, crate::store::bulk::BulkResult,
        sync::SyncAnswer, sync::SyncedLink, sync::DeletedLink, sync::DeletedTag,
        transfer::ImportUpload, tokens::PostToken, tokens::NewToken, crate::store::tokens::ApiToken, crate::transfer::ImportReport, crate::transfer::InvalidBookmark, crate::transfer::ExportedLink)),
    tags(
        (name = "links", description = "Bookmarked URLs"),
        (name = "tags", description = "Tags, unique per account regardless of case"),
        (name = "taglinks", description = "Which tags a link carries"),
        (name = "accounts", description = "Accounts (admin), or the caller's own"),
        (name = "auth", description = "OAuth2 password flow"),
        (name = "sync", description = "Changes since a cursor, for clients that keep a copy"),
        (name = "transfer", description = "Import and export as a Netscape bookmark file"),
        (name = "meta", description = "Operations"),
    )
)]
struct ApiDoc;

/// The document as served, for a server mounted under `root_path` (may be empty).
pub fn document(root_path: &str) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let token_url = format!("{root_path}/token/");
    let flow = Flow::Password(Password::new(
        token_url,
        Scopes::from_iter([
            ("admin", "All API actions on every account"),
            ("account", "API actions on the caller's own account"),
        ]),
    ));
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme("oauth2", SecurityScheme::OAuth2(OAuth2::new([flow])));
    components.add_security_scheme(
        "personal_token",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An account's personal API token (`tm_…`, made at \
                     `/account/{account_id}/token/`): account scope; a read-only one only reads",
                ))
                .build(),
        ),
    );
    if !root_path.is_empty() {
        doc.servers = Some(vec![Server::new(root_path)]);
    }
    document_personal_tokens(&mut doc);
    document_unauthorized(&mut doc);
    doc
}

/// Every operation the account scope may call also takes a personal API token.
fn document_personal_tokens(doc: &mut utoipa::openapi::OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            let Some(security) = operation.security.as_mut() else {
                continue;
            };
            // The requirement's scopes are private to utoipa; its JSON form names them.
            let for_accounts = security.iter().any(|requirement| {
                serde_json::to_value(requirement).is_ok_and(|v| {
                    v["oauth2"]
                        .as_array()
                        .is_some_and(|scopes| scopes.iter().any(|s| s == "account"))
                })
            });
            if for_accounts {
                security.push(SecurityRequirement::new(
                    "personal_token",
                    Vec::<String>::new(),
                ));
            }
        }
    }
}

/// Every operation that needs a token answers 401 without one (or with an invalid one, or one
/// of a scope it does not allow), and every one that writes answers 403 to a read-only personal
/// API token: documented here for each, so that no endpoint forgets it.
fn document_unauthorized(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::{ContentBuilder, Ref, Response, ResponseBuilder};
    let error = |description: &str| -> Response {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorDetail")))
                    .build(),
            )
            .build()
    };
    let unauthorized = error("Not authenticated, invalid token, or not enough permissions");
    let read_only = error("A read-only personal API token: this operation writes");
    for item in doc.paths.paths.values_mut() {
        let operations = [
            (false, &mut item.get),
            (true, &mut item.put),
            (true, &mut item.post),
            (true, &mut item.delete),
            (true, &mut item.patch),
        ];
        for (writes, operation) in operations {
            let Some(operation) = operation else {
                continue;
            };
            if operation.security.as_ref().is_some_and(|s| !s.is_empty()) {
                let responses = &mut operation.responses.responses;
                responses
                    .entry("401".into())
                    .or_insert_with(|| unauthorized.clone().into());
                if writes {
                    responses
                        .entry("403".into())
                        .or_insert_with(|| read_only.clone().into());
                }
            }
        }
    }
}
