"""The tutorial series' integration-test client, as it talks to its API, pointed at tagmark.

It speaks as the series' client does: Python `requests`, HTTPS verified against a private CA
(`verify=<ca.pem>`), a base URL under `/api/`, paths without trailing slash, the login form with
`scope` and the empty `grant_type`, `client_id` and `client_secret` fields, and the
`Authorization: Bearer` header built by hand. Each check prints PASS or FAIL; the exit status
is 1 if any failed. The ids it leaves behind are written as JSON to --out, so that the caller
(tests/series_client.rs) can verify from the database side what is stored.

Usage: series_client.py --base https://localhost:PORT/api/ --ca ca.pem
           --admin USER --admin-password PW --out result.json
"""

import argparse
import json
import re
import sys
import uuid

import requests

ARGS = None
FAILURES = []
CHECKS = 0


def url(path):
    return ARGS.base + path.lstrip("/")


def auth(token):
    return {"Authorization": "Bearer " + token}


def get(path, token=None, params=None):
    headers = auth(token) if token else {}
    return requests.get(url(path), headers=headers, params=params, verify=ARGS.ca, timeout=30)


def post(path, token=None, body=None):
    headers = auth(token) if token else {}
    return requests.post(url(path), headers=headers, json=body, verify=ARGS.ca, timeout=30)


def delete(path, token=None, params=None):
    headers = auth(token) if token else {}
    return requests.delete(url(path), headers=headers, params=params, verify=ARGS.ca, timeout=30)


def login(username, password, scope):
    data = {
        "username": username,
        "password": password,
        "scope": scope,
        "grant_type": "",
        "client_id": "",
        "client_secret": "",
    }
    return requests.post(url("/token"), data=data, verify=ARGS.ca, timeout=30)


def check(name, condition, detail=""):
    global CHECKS
    CHECKS += 1
    if condition:
        print(f"PASS {name}")
    else:
        FAILURES.append(name)
        print(f"FAIL {name} {detail}")
    return condition


def answer(response):
    try:
        return response.json()
    except ValueError:
        return response.text


def expect(name, response, status, body=None):
    """The status, and when given the whole JSON body, of an answer."""
    got = answer(response)
    ok = response.status_code == status and (body is None or got == body)
    check(name, ok, f"-> {response.status_code} {got!r}, wanted {status} {body!r}")
    return got


def expect_detail(name, response, status, message):
    return expect(name, response, status, {"detail": message})


SEED_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$")


def check_account(name, account, email):
    check(f"{name}: email", account.get("email") == email, repr(account))
    check(f"{name}: hashed_password is the mask", account.get("hashed_password") == "**********",
          repr(account))
    created = account.get("created", "")
    check(f"{name}: created as YYYY-MM-DDTHH:MM:SS", bool(SEED_TIME.match(created)), repr(account))
    check(f"{name}: created_at is the same instant",
          str(account.get("created_at", "")).startswith(created), repr(account))
    check(f"{name}: account_id", bool(account.get("account_id")), repr(account))


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    for flag in ("--base", "--ca", "--admin", "--admin-password", "--out"):
        parser.add_argument(flag, required=True)
    ARGS = parser.parse_args()
    nobody = str(uuid.uuid4())

    # ---- admin login -------------------------------------------------------------------
    r = login(ARGS.admin, ARGS.admin_password, "admin")
    body = expect("admin login with empty grant_type, client_id, client_secret", r, 200)
    admin = body["access_token"]
    check("token_type is bearer", body.get("token_type") == "bearer", repr(body))

    # ---- failed logins -----------------------------------------------------------------
    failed = "Incorrect username or password or invalid scopes"
    for what, username, password, scope in [
        ("wrong password", ARGS.admin, "wrong-password", "admin"),
        ("unknown user", "nobody", ARGS.admin_password, "admin"),
        ("admin asking for account", ARGS.admin, ARGS.admin_password, "account"),
        ("two scopes with a comma", ARGS.admin, ARGS.admin_password, "admin,account"),
        ("two scopes with a space", ARGS.admin, ARGS.admin_password, "admin account"),
        ("unknown scope", ARGS.admin, ARGS.admin_password, "root"),
    ]:
        r = login(username, password, scope)
        expect_detail(f"login fails: {what}", r, 401, failed)
        check(f"login fails: {what}: WWW-Authenticate",
              r.headers.get("WWW-Authenticate") == "Bearer", repr(dict(r.headers)))

    # ---- accounts ----------------------------------------------------------------------
    email, password = "series@example.com", "series-password-1"
    r = post("/account", admin, {"email": email, "password": password})
    account = expect("admin creates an account", r, 200)
    check_account("created account", account, email)
    account_id = account["account_id"]
    expect_detail("the same email again is 409", post("/account", admin,
                  {"email": email, "password": password}), 409,
                  f"Account with email {email} exists")
    other_email = "other@example.com"
    other = expect("admin creates a second account",
                   post("/account", admin, {"email": other_email, "password": password}), 200)
    other_id = other["account_id"]

    r = login(email, password, "account")
    token = expect("account login", r, 200)["access_token"]
    other_token = expect("second account login", login(other_email, password, "account"),
                         200)["access_token"]

    # ---- authentication answers --------------------------------------------------------
    r = get("/link")
    expect_detail("no Authorization header", r, 401, "Not authenticated")
    check("no Authorization header: WWW-Authenticate", r.headers.get("WWW-Authenticate") ==
          "Bearer", repr(dict(r.headers)))
    expect_detail("a token that is not one", get("/link", "not-a-token"), 401,
                  "Could not validate credentials")
    r = post("/account", token, {"email": "x@example.com", "password": password})
    expect_detail("account scope on an admin endpoint", r, 401, "Not enough permissions")
    check("account scope on an admin endpoint: WWW-Authenticate",
          r.headers.get("WWW-Authenticate") == 'Bearer scope="admin"', repr(dict(r.headers)))

    # ---- account answers ---------------------------------------------------------------
    listed = expect("admin lists accounts", get("/account", admin), 200)
    check("admin sees both accounts", sorted(a["email"] for a in listed) ==
          sorted([email, other_email]), repr(listed))
    for a in listed:
        check_account("listed account", a, a["email"])
    own = expect("an account lists only itself", get("/account", token), 200)
    check("the list holds only itself", [a["account_id"] for a in own] == [account_id], repr(own))
    check_account("own account by id", expect("account reads itself",
                  get(f"/account/{account_id}", token), 200), email)
    expect_detail("an account reading another", get(f"/account/{other_id}", token), 404,
                  f"Account with account_id '{other_id}' not found")
    expect_detail("an account deleting another", delete(f"/account/{other_id}", token), 404,
                  f"Account with account_id '{other_id}' not found")
    expect_detail("admin reading an unknown account", get(f"/account/{nobody}", admin), 404,
                  f"Account with account_id '{nobody}' not found")
    expect_detail("admin deleting an unknown account", delete(f"/account/{nobody}", admin), 404,
                  f"Account id {nobody} not found")

    # ---- tags --------------------------------------------------------------------------
    tag = expect("account creates a tag", post("/tag", token, {"tag": "Python"}), 200)
    check("tag fields", tag.get("tag") == "Python" and tag.get("account_id") == account_id
          and bool(tag.get("tag_id")) and bool(tag.get("created_at")), repr(tag))
    tag_id = tag["tag_id"]
    expect_detail("the same tag name in another case is 409", post("/tag", token,
                  {"tag": "python"}), 409, f"Tag with name python exists for account {account_id}")
    expect("account gives its own account_id", post("/tag", token,
           {"tag": "own", "account_id": account_id}), 200)
    expect_detail("account gives another account_id", post("/tag", token,
                  {"tag": "x", "account_id": other_id}), 422,
                  "The account_id field should not be provided for account scope")
    expect_detail("admin without account_id", post("/tag", admin, {"tag": "x"}), 422,
                  "The account_id field is required for the admin scope")
    admin_tag = expect("admin creates a tag for the account", post("/tag", admin,
                       {"tag": "from-admin", "account_id": account_id}), 200)
    check("admin's tag belongs to the account", admin_tag.get("account_id") == account_id,
          repr(admin_tag))
    expect_detail("admin: the same name again is 409", post("/tag", admin,
                  {"tag": "FROM-ADMIN", "account_id": account_id}), 409,
                  f"Tag with name FROM-ADMIN exists for account {account_id}")
    expect_detail("admin for an unknown account", post("/tag", admin,
                  {"tag": "x", "account_id": nobody}), 404,
                  f"Account with account_id '{nobody}' not found")
    expect("get a tag", get(f"/tag/{tag_id}", token), 200, tag)
    found = expect("find a tag by name, any case", get("/tag", token, {"tag": "PYTHON"}), 200)
    check("the tag found is the tag", found == [tag], repr(found))
    expect_detail("unknown tag", get(f"/tag/{nobody}", token), 404,
                  f"Tag with tag_id {nobody} not found")
    expect_detail("another account's tag is not found", get(f"/tag/{tag_id}", other_token), 404,
                  f"Tag with tag_id {tag_id} not found")

    # ---- links -------------------------------------------------------------------------
    link = expect("account creates a link with a tag name", post("/link", token,
                  {"link": "https://www.python.org/", "tag": "python"}), 200)
    check("link fields", link.get("link") == "https://www.python.org/"
          and link.get("account_id") == account_id and bool(link.get("link_id"))
          and bool(link.get("created_at")), repr(link))
    link_id = link["link_id"]
    second = expect("account creates a link with a tag_id", post("/link", token,
                    {"link": "https://docs.python.org/", "tag_id": tag_id}), 200)
    second_id = second["link_id"]
    admin_link = expect("admin creates a link for the account", post("/link", admin,
                        {"link": "https://pypi.org/", "tag": "from-admin",
                         "account_id": account_id}), 200)
    expect_detail("a link without tag or tag_id", post("/link", token,
                  {"link": "https://example.com/"}), 422, "One of tag_id or tag must be specified")
    expect_detail("a link with both tag and tag_id", post("/link", token,
                  {"link": "https://example.com/", "tag": "a", "tag_id": tag_id}), 422,
                  "Only one of tag_id or tag must be specified")
    expect_detail("a link with an unknown tag_id", post("/link", token,
                  {"link": "https://example.com/", "tag_id": nobody}), 404,
                  f"Tag with tag_id {nobody} not found for account_id {account_id}")
    expect_detail("a link with another account's tag_id", post("/link", other_token,
                  {"link": "https://example.com/", "tag_id": tag_id}), 404,
                  f"Tag with tag_id {tag_id} not found for account_id {other_id}")
    expect("get a link", get(f"/link/{link_id}", token), 200, link)
    tagged = expect("list links by tag name", get("/link", token, {"tag": "Python"}), 200)
    check("both python links, oldest first", [l["link_id"] for l in tagged] ==
          [link_id, second_id], repr(tagged))
    by_id = expect("list links by tag_id", get("/link", token, {"tag_id": tag_id}), 200)
    check("the same by tag_id", by_id == tagged, repr(by_id))
    everything = expect("admin lists the account's links", get("/link", admin,
                        {"account_id": account_id}), 200)
    check("admin sees the three links", len(everything) == 3, repr(everything))
    expect_detail("unknown link", get(f"/link/{nobody}", token), 404,
                  f"Link with link_id {nobody} not found")
    expect_detail("another account's link is not found", get(f"/link/{link_id}", other_token),
                  404, f"Link with link_id {link_id} not found")

    # ---- tag-links ---------------------------------------------------------------------
    own_tag = expect("find the 'own' tag", get("/tag", token, {"tag": "own"}), 200)[0]
    taglink = expect("account links a tag to a link", post("/taglink", token,
                     {"tag_id": own_tag["tag_id"], "link_id": link_id}), 200,
                     {"tag_id": own_tag["tag_id"], "link_id": link_id, "account_id": account_id})
    expect_detail("the same pair again is 409", post("/taglink", token,
                  {"tag_id": own_tag["tag_id"], "link_id": link_id}), 409,
                  f"TagLink with tag_id {own_tag['tag_id']} and link_id {link_id} exists")
    expect_detail("a tag-link to an unknown tag is 422", post("/taglink", token,
                  {"tag_id": nobody, "link_id": link_id}), 422,
                  f"Tag with tag_id {nobody} not found for account_id {account_id}")
    expect_detail("a tag-link to an unknown link is 422", post("/taglink", token,
                  {"tag_id": tag_id, "link_id": nobody}), 422,
                  f"Link with link_id {nobody} not found for account_id {account_id}")
    expect_detail("both unknown: the tag is named", post("/taglink", token,
                  {"tag_id": nobody, "link_id": nobody}), 422,
                  f"Tag with tag_id {nobody} not found for account_id {account_id}")
    expect("admin links a tag for the account", post("/taglink", admin,
           {"tag_id": admin_tag["tag_id"], "link_id": second_id, "account_id": account_id}), 200)
    on_link = expect("list tag-links of a link", get("/taglink", token, {"link_id": link_id}),
                     200)
    check("the link carries python and own", sorted(t["tag_id"] for t in on_link) ==
          sorted([tag_id, own_tag["tag_id"]]), repr(on_link))
    check("taglink answer is listed", taglink in on_link, repr(on_link))

    # ---- deletes -----------------------------------------------------------------------
    expect("delete a tag-link", delete("/taglink", token,
           {"tag_id": own_tag["tag_id"], "link_id": link_id}), 200, "OK")
    expect("delete it again: nothing matches, still OK", delete("/taglink", token,
           {"tag_id": own_tag["tag_id"], "link_id": link_id}), 200, "OK")
    expect_detail("delete tag-links naming neither", delete("/taglink", token), 422,
                  "One or both of tag_id and link_id must be specified")
    expect("delete a tag", delete(f"/tag/{own_tag['tag_id']}", token), 200, "OK")
    expect_detail("delete the tag again", delete(f"/tag/{own_tag['tag_id']}", token), 404,
                  f"Tag with tag_id {own_tag['tag_id']} not found")
    expect("admin deletes a link", delete(f"/link/{admin_link['link_id']}", admin), 200, "OK")
    expect_detail("delete the link again", delete(f"/link/{admin_link['link_id']}", token), 404,
                  f"Link with link_id {admin_link['link_id']} not found")
    expect("another account's link stays", get(f"/link/{link_id}", token), 200, link)
    expect_detail("another account cannot delete it", delete(f"/link/{link_id}", other_token),
                  404, f"Link with link_id {link_id} not found")
    expect("admin deletes the second account", delete(f"/account/{other_id}", admin), 200, "OK")
    expect_detail("its token stops working", get("/link", other_token), 401,
                  "Could not validate credentials")

    result = {
        "account_id": account_id,
        "email": email,
        "deleted_account_id": other_id,
        "tag_id": tag_id,
        "admin_tag_id": admin_tag["tag_id"],
        "deleted_tag_id": own_tag["tag_id"],
        "link_id": link_id,
        "second_link_id": second_id,
        "deleted_link_id": admin_link["link_id"],
    }
    with open(ARGS.out, "w", encoding="utf-8") as out:
        json.dump(result, out)
    print(f"{CHECKS - len(FAILURES)} passed, {len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as err:  # a crash is a failure too, with what it was doing
        import traceback
        traceback.print_exc()
        print(f"FAIL the client crashed: {err!r}")
        sys.exit(1)
