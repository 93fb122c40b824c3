"""The ``recallguard`` command line (Typer). Each command group lives in its own module and is
registered here; errors from the one hierarchy become exit codes in one place (``main``)."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from recallguard.errors import RecallguardError

app = typer.Typer(
    name="recallguard",
    help="Keeps recalled and banned products off online marketplaces.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err_console = Console(stderr=True)


_registered: list[bool] = []  # commands are attached once per process, however often main() runs


def _register() -> None:
    """Attach every command module, once per process. Each module exposes ``register(app)``."""
    if _registered:
        return
    from recallguard.cli import (
        backup_cmd,
        bank_cmd,
        deliver_cmd,
        enforce_cmds,
        matcher_cmd,
        recalls_cmds,
        reports_cmd,
        scale_cmds,
        screen_cmd,
        settings_cmd,
        shadow_cmd,
        store_cmds,
    )

    for module in (
        screen_cmd,
        matcher_cmd,
        scale_cmds,
        store_cmds,
        enforce_cmds,
        recalls_cmds,
        bank_cmd,
        reports_cmd,
        settings_cmd,
        shadow_cmd,
        deliver_cmd,
        backup_cmd,
    ):
        module.register(app)
    _registered.append(True)


def main() -> None:
    """Entry point: run the CLI, turning recallguard errors into a message and an exit code."""
    _register()
    try:
        rv = app(standalone_mode=False)
    except RecallguardError as e:
        err_console.print(f"[red]error:[/red] {e}")
        sys.exit(e.exit_code)
    except typer.Abort:
        err_console.print("aborted")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as e:  # click usage errors arrive as click exceptions
        import click

        # Typer 0.2x vendors click: its usage errors are typer.TyperException, not click's
        if isinstance(e, click.exceptions.ClickException | typer.TyperException) and hasattr(e, "show"):
            e.show()
            sys.exit(2)
        raise
    if isinstance(rv, int) and rv:
        sys.exit(rv)


if __name__ == "__main__":
    main()
