"""Agent-protocol clients against Switchyard (run by tests/suite/protocols.rs):
the official A2A SDK (a2a-sdk, A2A 1.0) sends, follows, answers and cancels
lanes as tasks; AG-UI events of a lane are validated with the official
`ag-ui-protocol` models.

    client.py <base url> <token>

Prints one JSON object of observations on stdout; any failure raises.
"""

import asyncio
import json
import sys
import uuid

import httpx
from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.types.a2a_pb2 import (
    CancelTaskRequest,
    GetTaskRequest,
    ListTasksRequest,
    Message,
    Part,
    Role,
    SendMessageConfiguration,
    SendMessageRequest,
    SubscribeToTaskRequest,
)
from ag_ui.core import Event
from google.protobuf.json_format import MessageToDict
from pydantic import TypeAdapter

LANE = {"repository": "shop", "claim": ["src/**"], "harnessKind": "script"}


def message(text: str, metadata=None, task_id: str = "") -> SendMessageRequest:
    msg = Message(message_id=str(uuid.uuid4()), role=Role.ROLE_USER, parts=[Part(text=text)], task_id=task_id)
    if metadata is not None:
        msg.metadata.update(metadata)
    return SendMessageRequest(message=msg)


def immediately(req: SendMessageRequest) -> SendMessageRequest:
    req.configuration.CopyFrom(SendMessageConfiguration(return_immediately=True))
    return req


async def one(iterator):
    last = None
    async for item in iterator:
        last = item
    return last


async def events(iterator) -> list:
    return [MessageToDict(e) async for e in iterator]


def kinds(stream: list) -> list:
    out = []
    for e in stream:
        (kind, body), = e.items()
        state = body.get("status", {}).get("state") if kind in ("task", "statusUpdate") else body.get("artifact", {}).get("artifactId")
        out.append(f"{kind}:{state}")
    return out


async def a2a(base: str, token: str, seen: dict) -> None:
    http = httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=60)
    card = await A2ACardResolver(http, base).get_agent_card()
    seen["card_url"] = card.supported_interfaces[0].url
    seen["card_streaming"] = card.capabilities.streaming
    blocking = ClientFactory(ClientConfig(httpx_client=http, streaming=False)).create(card)
    streaming = ClientFactory(ClientConfig(httpx_client=http, streaming=True)).create(card)

    # Send: a lane, waited for (briefly) until it finishes.
    done = (await one(blocking.send_message(message("Do it.\nmode: quick\n", LANE)))).task
    seen["sent_task_id"] = done.id
    sent = MessageToDict(done)
    seen["sent_state"] = sent["status"]["state"]
    seen["sent_artifacts"] = [a["parts"][0]["text"] for a in sent.get("artifacts", [])]
    got = MessageToDict(await blocking.get_task(GetTaskRequest(id=done.id)))
    seen["got_state"] = got["status"]["state"]
    seen["got_brief"] = got["history"][0]["parts"][0]["text"]
    listed = await blocking.list_tasks(ListTasksRequest(page_size=10))
    seen["listed"] = [t.id for t in listed.tasks]

    # Streamed: the task first, then its updates until it ends.
    seen["stream"] = kinds(await events(streaming.send_message(message("Again.\nmode: quick\n", LANE))))

    # A question: the stream ends at input-required; a message to the task answers it.
    asking = (await one(blocking.send_message(immediately(message("Ask.\nmode: ask\n", LANE))))).task
    seen["ask_stream"] = kinds(await events(streaming.subscribe(SubscribeToTaskRequest(id=asking.id))))
    answered = (await one(blocking.send_message(message("blue", task_id=asking.id)))).task
    answered = MessageToDict(answered)
    seen["answered_state"] = answered["status"]["state"]
    seen["answered_artifacts"] = [a["parts"][0]["text"] for a in answered.get("artifacts", [])]

    # Cancel a working task while subscribed to it.
    hanging = (await one(blocking.send_message(immediately(message("Hang.\nmode: hang\n", LANE))))).task

    async def cancel_soon():
        await asyncio.sleep(2)
        return MessageToDict(await blocking.cancel_task(CancelTaskRequest(id=hanging.id)))

    canceller = asyncio.create_task(cancel_soon())
    seen["cancel_stream"] = kinds(await events(streaming.subscribe(SubscribeToTaskRequest(id=hanging.id))))
    seen["cancelled_state"] = (await canceller)["status"]["state"]

    # Errors come back as the SDK's typed errors.
    for name, call in [
        ("unknown_task", blocking.get_task(GetTaskRequest(id="lane_nosuchlane00000000"))),
        ("cancel_twice", blocking.cancel_task(CancelTaskRequest(id=hanging.id))),
        ("no_repository", one(blocking.send_message(message("x", {"claim": ["src/**"], "harnessKind": "script"})))),
        ("subscribe_finished", events(streaming.subscribe(SubscribeToTaskRequest(id=done.id)))),
    ]:
        try:
            await call
            seen[name] = "accepted"
        except Exception as e:
            seen[name] = f"{type(e).__name__}: {e}"
    await http.aclose()


EVENT = TypeAdapter(Event)


def validate(items: list) -> None:
    for i, d in enumerate(items):
        ev = EVENT.validate_python(d)
        extra = set(d) - set(ev.model_dump(by_alias=True))
        if extra or ev.model_extra:
            raise ValueError(f"AG-UI event {i} ({d.get('type')}): unexpected keys {sorted(extra or ev.model_extra)}")


async def ag_ui(base: str, token: str, run_id: str, seen: dict) -> None:
    body = {"threadId": run_id, "runId": "ui-1", "state": {}, "messages": [], "tools": [], "context": [], "forwardedProps": {}}
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    items = []
    async with httpx.AsyncClient(timeout=60) as http:
        async with http.stream("POST", f"{base}/functions/v1/lane-ag-ui", json=body, headers=headers) as r:
            seen["agui_content_type"] = r.headers.get("content-type")
            async for line in r.aiter_lines():
                if line.startswith("data: "):
                    items.append(json.loads(line[6:]))
    validate(items)
    seen["agui_types"] = [e["type"] for e in items]
    seen["agui_text"] = "".join(e["delta"] for e in items if e["type"] == "TEXT_MESSAGE_CONTENT")
    seen["agui_last"] = items[-1]


async def main() -> None:
    base, token = sys.argv[1], sys.argv[2]
    seen: dict = {}
    await a2a(base, token, seen)
    await ag_ui(base, token, seen["sent_task_id"], seen)
    print(json.dumps(seen))


if __name__ == "__main__":
    asyncio.run(main())
