"""`python -m playground`: the bot in local mode on a fresh demo database, the Agents Playground pointed at it.

Prints the URL to open, then runs until Ctrl-C (or until either process stops)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

from playground.stack import DEFAULT_PLAYGROUND_PORT, REPO_ROOT, StackError, free_port, port_is_free, start_stack

DATA = REPO_ROOT / "data" / "playground"  # data/ is gitignored


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m playground", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bot-port",
        type=int,
        default=int(os.environ.get("PORT") or 3978),
        help="the bot's port (default $PORT or 3978; a free one if that is taken)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PLAYGROUND_PORT") or DEFAULT_PLAYGROUND_PORT),
        help="the Playground's port (default $PLAYGROUND_PORT or 56150; it picks another if taken)",
    )
    parser.add_argument(
        "--keep-data", action="store_true", help="keep data/playground/talentnord.db from the last run instead of starting fresh"
    )
    args = parser.parse_args(argv)

    bot_port = args.bot_port
    if not port_is_free(bot_port):
        bot_port = free_port()
        print(f"port {args.bot_port} is taken (is `make run` running?); the bot uses {bot_port}", file=sys.stderr)

    # Ctrl-C, SIGTERM and a closed terminal all stop both processes (also when started in the background,
    # where the shell would have us ignore SIGINT).
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _interrupt)
    print("starting the bot (local mode, demo cohort) and the Microsoft 365 Agents Playground …", file=sys.stderr)
    try:
        stack = start_stack(DATA / "talentnord.db", DATA, bot_port=bot_port, playground_port=args.port, fresh=not args.keep_data)
    except StackError as exc:
        print(f"make playground: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    try:
        print(
            "\n"
            f"  Bot:        {stack.bot_url}  (local mode, SQLite data/playground/talentnord.db, demo cohort)\n"
            f"  Playground: {stack.playground_url}\n"
            "\n"
            f"  Open {stack.playground_url} in your browser. You are Anna Jensen, a talent on the demo\n"
            "  roster: the welcome card comes first; then write  hjælp,  næste  or  materialer.\n"
            "  Logs: data/playground/bot.log and playground.log. Ctrl-C stops both.\n",
            flush=True,
        )
        while True:
            problem = stack.died()
            if problem:
                print(f"make playground: {problem}", file=sys.stderr)
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping …", file=sys.stderr)
        return 0
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
