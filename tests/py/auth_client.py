"""supabase-py against /auth/v1 and /rest/v1: sign up, sign in, own rows under RLS,
user updates, refresh rotation, admin users, sign out.
Environment: FERROBASE_URL, ANON_KEY, SERVICE_KEY. Exits non-zero on the first wrong answer."""
import os

from supabase import create_client
from supabase.lib.client_options import SyncClientOptions
from supabase_auth.errors import AuthApiError, AuthWeakPasswordError

url = os.environ["FERROBASE_URL"]
anon = os.environ["ANON_KEY"]


def client(key=anon):
    return create_client(url, key, options=SyncClientOptions(persist_session=False, auto_refresh_token=False))


def refused(call):
    """The AuthApiError a call raises (it must raise one)."""
    try:
        call()
    except AuthApiError as e:
        return e
    raise AssertionError("the call succeeded")


carol, dave = client(), client()
up = carol.auth.sign_up({"email": "carol@example.com", "password": "carol-password", "options": {"data": {"name": "Carol"}}})
assert up.session is not None and up.user.email == "carol@example.com", up
assert up.user.user_metadata == {"name": "Carol"}, up.user
dave.auth.sign_up({"email": "dave@example.com", "password": "dave-password"})

e = refused(lambda: client().auth.sign_up({"email": "carol@example.com", "password": "whatever-1"}))
assert (e.code, e.status) == ("user_already_exists", 422), e
try:
    client().auth.sign_up({"email": "erin@example.com", "password": "123"})
    raise AssertionError("a short password was accepted")
except AuthWeakPasswordError as e:
    assert e.reasons == ["length"], e.reasons

wrong = refused(lambda: client().auth.sign_in_with_password({"email": "carol@example.com", "password": "wrong-password"}))
unknown = refused(lambda: client().auth.sign_in_with_password({"email": "nobody@example.com", "password": "wrong-password"}))
assert wrong.code == "invalid_credentials", wrong
assert (unknown.code, unknown.status, unknown.message) == (wrong.code, wrong.status, wrong.message)

signed = carol.auth.sign_in_with_password({"email": "carol@example.com", "password": "carol-password"})
assert signed.user.email == "carol@example.com"
dave.auth.sign_in_with_password({"email": "dave@example.com", "password": "dave-password"})

# Each user's token reaches only their own rows.
carol.table("agents").insert({"name": "Carol's agent"}).execute()
dave.table("agents").insert({"name": "Dave's agent"}).execute()
assert carol.table("agents").select("name").execute().data == [{"name": "Carol's agent"}]
assert dave.table("agents").select("name").execute().data == [{"name": "Dave's agent"}]
assert dave.table("agents").update({"name": "mine now"}).eq("name", "Carol's agent").execute().data == []
assert carol.table("agents").select("name").execute().data == [{"name": "Carol's agent"}]

assert carol.auth.get_user().user.email == "carol@example.com"
changed = carol.auth.update_user({"data": {"plan": "pro"}})
assert changed.user.user_metadata == {"name": "Carol", "plan": "pro"}, changed.user

old = carol.auth.get_session().refresh_token
new = carol.auth.refresh_session()
assert new.session.refresh_token != old
assert carol.table("agents").select("name").execute().data == [{"name": "Carol's agent"}]
e = refused(lambda: client().auth.refresh_session(old))
assert e.code == "refresh_token_already_used", e

admin = client(os.environ["SERVICE_KEY"])
emails = sorted(u.email for u in admin.auth.admin.list_users())
assert emails == ["carol@example.com", "dave@example.com"], emails
made = admin.auth.admin.create_user({"email": "fay@example.com", "password": "fay-password", "email_confirm": True})
assert made.user.email == "fay@example.com"
admin.auth.admin.update_user_by_id(made.user.id, {"user_metadata": {"team": "blue"}})
assert admin.auth.admin.get_user_by_id(made.user.id).user.user_metadata == {"team": "blue"}
admin.auth.admin.delete_user(made.user.id)
e = refused(lambda: client().auth.admin.list_users())
assert e.code == "not_admin", e

dave.auth.sign_out()
assert dave.table("agents").select("name").execute().data == []
print("supabase-py: all calls behaved")
