"""supabase-py against /auth/v1 and /rest/v1: sign up, sign in, own rows under RLS,
refresh, sign out. Environment: FERROBASE_URL, ANON_KEY, SERVICE_KEY."""
import os

from supabase import create_client
from supabase.lib.client_options import SyncClientOptions

url = os.environ["FERROBASE_URL"]
anon = os.environ["ANON_KEY"]


def client():
    return create_client(url, anon, options=SyncClientOptions(persist_session=False, auto_refresh_token=False))


carol, dave = client(), client()
up = carol.auth.sign_up({"email": "carol@example.com", "password": "carol-password"})
assert up.session is not None and up.user.email == "carol@example.com", up
dave.auth.sign_up({"email": "dave@example.com", "password": "dave-password"})

try:
    client().auth.sign_in_with_password({"email": "carol@example.com", "password": "wrong-password"})
    raise AssertionError("a wrong password signed in")
except Exception as e:  # the client raises its AuthApiError
    assert getattr(e, "code", None) == "invalid_credentials", e

signed = carol.auth.sign_in_with_password({"email": "carol@example.com", "password": "carol-password"})
assert signed.user.email == "carol@example.com"
dave.auth.sign_in_with_password({"email": "dave@example.com", "password": "dave-password"})

carol.table("agents").insert({"name": "Carol's agent"}).execute()
dave.table("agents").insert({"name": "Dave's agent"}).execute()
assert carol.table("agents").select("name").execute().data == [{"name": "Carol's agent"}]
assert dave.table("agents").select("name").execute().data == [{"name": "Dave's agent"}]

old = carol.auth.get_session().refresh_token
new = carol.auth.refresh_session()
assert new.session.refresh_token != old
assert carol.auth.get_user().user.email == "carol@example.com"

admin = create_client(url, os.environ["SERVICE_KEY"], options=SyncClientOptions(persist_session=False, auto_refresh_token=False))
emails = sorted(u.email for u in admin.auth.admin.list_users())
assert emails == ["carol@example.com", "dave@example.com"], emails

carol.auth.sign_out()
print("supabase-py: all calls behaved")
