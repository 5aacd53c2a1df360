"""Drives the Python client that openapi-python-client generates from the SDK OpenAPI
document: a typed endpoint as a signed-in user and a table read/write with the service key.

Environment: SDK_DIR (the generated project), FERROBASE_URL, ANON_KEY, SERVICE_KEY,
USER_TOKEN, USER_ID.
"""
import os
import sys

sys.path.insert(0, os.environ["SDK_DIR"])

from ferrobase_api_client import AuthenticatedClient  # noqa: E402
from ferrobase_api_client.api.agents import (  # noqa: E402
    api_agents_create,
    api_agents_get,
    api_agents_list,
)
from ferrobase_api_client.api.auth import auth_signup, auth_user  # noqa: E402
from ferrobase_api_client.api.tools import tools_insert, tools_select  # noqa: E402
from ferrobase_api_client.client import Client  # noqa: E402
from ferrobase_api_client.models import AuthCredentials  # noqa: E402
from ferrobase_api_client.models import ApiAgentsCreate, ApiError, ToolsInsert  # noqa: E402
from ferrobase_api_client.models.tools_insert_prefer import ToolsInsertPrefer  # noqa: E402

url = os.environ["FERROBASE_URL"]
anon = os.environ["ANON_KEY"]
user = AuthenticatedClient(base_url=url, token=os.environ["USER_TOKEN"], headers={"apikey": anon})
service = AuthenticatedClient(base_url=url, token=os.environ["SERVICE_KEY"], headers={"apikey": anon})

# Typed endpoint: create, list, get; the owner is the caller.
created = api_agents_create.sync(client=user, body=ApiAgentsCreate(name="From Python", model="gpt-4o"))
assert not isinstance(created, ApiError), created
assert created.name == "From Python", created
assert str(created.user_id) == os.environ["USER_ID"], created.user_id
listed = api_agents_list.sync(client=user)
assert [a.name for a in listed] == ["From Python"], listed
fetched = api_agents_get.sync(client=user, id=created.id)
assert fetched.model == "gpt-4o", fetched
missing = api_agents_get.sync(client=user, id="00000000-0000-0000-0000-000000000000")
assert isinstance(missing, ApiError) and missing.error == "Agent not found", missing

# Table write and read through /rest/v1.
rows = tools_insert.sync(
    client=service,
    body=ToolsInsert(name="python_tool", category="sdk"),
    prefer=ToolsInsertPrefer.RETURNREPRESENTATION,
)
assert [t.name for t in rows] == ["python_tool"], rows
# Rows are typed with every column, so no `select` narrows them here.
found = tools_select.sync(client=service, name="eq.python_tool")
assert [(t.name, t.category) for t in found] == [("python_tool", "sdk")], found

# /auth/v1 from the same document: sign up, then read the user with the new token.
public = Client(base_url=url, headers={"apikey": anon})
session = auth_signup.sync(client=public, body=AuthCredentials(email="sdk-signup@example.com", password="sdk-password"))
assert session.user.email == "sdk-signup@example.com", session
me = auth_user.sync(client=AuthenticatedClient(base_url=url, token=session.access_token, headers={"apikey": anon}))
assert me.email == "sdk-signup@example.com", me

print("python sdk: typed endpoint and table calls behaved")
