"""An MCP client built on the official Python SDK, driving Switchyard's
`mcp-server` as an editor's agent would (run by tests/suite/mcp.rs).

    client.py <mcp url> <admin token> <read-only token>

Prints one JSON object of observations on stdout; any failure raises (exit 1).
"""

import asyncio
import json
import sys
import time

from mcp import ClientSession, types
from mcp.client.streamable_http import streamablehttp_client


def structured(result: types.CallToolResult) -> dict:
    assert result.structuredContent is not None, result
    return result.structuredContent


async def until(check, what: str, timeout: float = 120.0):
    """Polls `check` (async, returning a truthy value when done) on a busy machine."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.25)


def lane(brief: str) -> dict:
    return {"harness_kind": "script", "repository": "shop", "claim": ["src/**"], "brief": brief}


async def as_admin(url: str, token: str, seen: dict) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with streamablehttp_client(url, headers=headers) as (read, write, session_id):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            seen["protocol_version"] = init.protocolVersion
            seen["server_name"] = init.serverInfo.name
            seen["tasks_capability"] = init.capabilities.tasks is not None
            seen["session_id_given"] = bool(session_id())

            tools = (await session.list_tools()).tools
            seen["tools"] = sorted(t.name for t in tools)
            run_tool = next(t for t in tools if t.name == "agent-run")
            seen["agent_run_task_support"] = run_tool.execution.taskSupport if run_tool.execution else None
            seen["agent_run_required"] = sorted(run_tool.inputSchema.get("required", []))

            # 1. A lane dispatched as an MCP task, followed to its end.
            created = await session.experimental.call_tool_as_task("agent-run", lane("Do it.\nmode: quick\n"))
            task_id = created.task.taskId
            seen["task_id"] = task_id
            seen["task_first_status"] = created.task.status
            statuses = []

            async def finished():
                status = await session.experimental.get_task(task_id)
                statuses.append(status.status)
                return status if status.status in ("completed", "failed", "cancelled") else None

            final = await until(finished, "the task to finish")
            seen["task_statuses"] = sorted(set(statuses))
            seen["task_final_status"] = final.status
            seen["task_final_message"] = final.statusMessage
            result = await session.experimental.get_task_result(task_id, types.CallToolResult)
            seen["task_result_state"] = structured(result)["state"]
            seen["task_result_is_error"] = result.isError
            listed = await session.experimental.list_tasks()
            seen["tasks_listed"] = [t.taskId for t in listed.tasks]

            # 2. The lane's events, read through a tool, hold its output.
            events = structured(await session.call_tool("lane-events", {"run_id": task_id}))
            seen["event_types"] = sorted({e["type"] for e in events["data"]})
            seen["outputs"] = [e["data"].get("line") for e in events["data"] if e["type"] == "output"]

            # 3. An agent's question answered from the inbox tools.
            asking = structured(await session.call_tool("agent-run", lane("Ask first.\nmode: ask\n")))
            ask_id = asking["run_id"]

            async def asked():
                status = await session.experimental.get_task(ask_id)
                return status if status.status == "input_required" else None

            seen["ask_status"] = (await until(asked, "the agent's question")).status
            inbox = structured(await session.call_tool("inbox-list", {"run_id": ask_id}))
            item = inbox["data"][0]
            seen["question"] = item["question"]
            answered = structured(await session.call_tool("inbox-resolve", {"item_id": item["item_id"], "answer": "blue"}))
            seen["answered_lane_state"] = answered["lane"]["state"]

            async def ask_done():
                got = structured(await session.call_tool("lane-get", {"run_id": ask_id}))
                return got if got["state"] == "completed" else None

            seen["ask_summary"] = (await until(ask_done, "the answered lane to finish"))["summary"]

            # 4. Steering: pause, interrupt, resume, then cancel through tasks/cancel.
            hanging = structured(await session.call_tool("agent-run", lane("Keep going.\nmode: hang\n")))["run_id"]

            async def running():
                got = structured(await session.call_tool("lane-get", {"run_id": hanging}))
                return got["state"] == "running"

            await until(running, "the hanging lane to run")
            seen["paused"] = structured(await session.call_tool("agent-pause", {"run_id": hanging}))["state"]
            queued = structured(
                await session.call_tool("agent-interrupt", {"run_id": hanging, "kind": "note", "message": "also the docs"})
            )
            seen["interrupt_queued"] = queued["run_id"] == hanging
            seen["resumed"] = structured(await session.call_tool("agent-resume", {"run_id": hanging}))["state"]
            cancelled = await session.experimental.cancel_task(hanging)
            seen["cancelled"] = cancelled.status
            try:
                await session.experimental.cancel_task(hanging)
                seen["cancel_twice"] = "accepted"
            except Exception as e:  # McpError: the task is already cancelled
                seen["cancel_twice"] = str(e)

            # 5. Bad input is the tool's answer, naming the field; an unknown tool is a protocol error.
            bad = await session.call_tool("agent-run", {**lane("x"), "claim": ["/abs"]})
            seen["bad_is_error"] = bad.isError
            seen["bad_error"] = structured(bad)["error"]
            try:
                await session.call_tool("no-such-tool", {})
                seen["unknown_tool"] = "accepted"
            except Exception as e:
                seen["unknown_tool"] = str(e)
            missing = await session.call_tool("lane-get", {"run_id": "lane_nosuchlane00000000"})
            seen["missing_error"] = structured(missing)["error"]["code"]
            head = structured(await session.call_tool("federation-publish-head", {}))
            seen["head_tree_size"] = head["head"]["tree_size"]
            await session.send_ping()


async def as_reader(url: str, token: str, seen: dict) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    async with streamablehttp_client(url, headers=headers) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            seen["reader_tools"] = sorted(t.name for t in (await session.list_tools()).tools)
            refused = await session.call_tool("agent-run", lane("mode: quick"))
            seen["reader_run_is_error"] = refused.isError
            seen["reader_run_error"] = structured(refused)["error"]["code"]


async def main() -> None:
    url, admin, reader = sys.argv[1], sys.argv[2], sys.argv[3]
    seen: dict = {}
    await as_admin(url, admin, seen)
    await as_reader(url, reader, seen)
    print(json.dumps(seen))


if __name__ == "__main__":
    asyncio.run(main())
