"""An MCP server built with the official Python SDK (FastMCP), for the HTTP
tests of `agent-tool-invoke`. Streamable HTTP at /mcp, in SSE (default) or
JSON response mode, with at most three open sessions, so a client that never
ends its sessions is refused after three calls.

    python server.py PORT [--json]
"""

import asyncio
import sys

from mcp.server.fastmcp import Context, FastMCP

port = int(sys.argv[1])
json_mode = "--json" in sys.argv[2:]
mcp = FastMCP("switchyard-test", host="127.0.0.1", port=port, json_response=json_mode, max_sessions=3, log_level="WARNING")


@mcp.tool()
def echo(message: str) -> str:
    """Echo a message."""
    return f"echo: {message}"


@mcp.tool()
async def progress(steps: int, ctx: Context) -> str:
    """Report progress (and a log line) before answering."""
    for step in range(steps):
        await ctx.info(f"step {step + 1}")
        await ctx.report_progress(step + 1, steps)
    return f"{steps} steps done"


@mcp.tool()
async def slow(seconds: float) -> str:
    """Answer after a while."""
    await asyncio.sleep(seconds)
    return "finally"


@mcp.tool()
def big(mib: int) -> str:
    """A reply of about `mib` MiB."""
    return "x" * (mib * 1024 * 1024)


mcp.run(transport="streamable-http")
