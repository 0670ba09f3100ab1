"""Read-your-writes: a write answers once the read table has reached what it recorded."""

from __future__ import annotations

import anyio

from api.bootstrap import Services
from api.http.errors import REFUSALS, ReadSideBehind
from api.http.metrics import COMMANDS
from commands import AlreadyAnswered, Command, Written

FIRST_WAIT = 1.0  # seconds a write waits before it asks whether a projector runs: a
# standby takes over within a second of the active one stopping
NO_PROJECTOR = (
    "The change is recorded, but no projector is running to make it readable: "
    "start `clientes project`, or `clientes serve` without --no-projector"
)


async def write(services: Services, command: Command) -> Written:
    """Runs ``command`` off the event loop, with those asked for meanwhile, then waits
    until its change is readable."""
    try:
        written = await services.commands.ask(command)
    except AlreadyAnswered:
        raise  # no command ran: the kept answer is given again
    except Exception as error:
        refusal = REFUSALS.get(type(error))
        COMMANDS.labels(command.name, refusal.outcome if refusal else "error").inc()
        raise
    COMMANDS.labels(command.name, "ok").inc()
    if written.position is not None:
        await readable(services, written.position)
    return written


async def readable(services: Services, position: int) -> None:
    """Waits until the read table has reached ``position``.

    A write that is not readable within a second asks whether any projector
    runs at all, and says so at once if none does (the change stays recorded).
    """
    timeout = services.settings.write_timeout
    if await services.readable.reached(position, min(timeout, FIRST_WAIT)):
        return
    if not await anyio.to_thread.run_sync(services.projector_running):
        raise ReadSideBehind(NO_PROJECTOR)
    if not await services.readable.reached(position, max(0.0, timeout - FIRST_WAIT)):
        raise ReadSideBehind("The change is recorded but not readable yet; read it again shortly")
